// The entry point of bb_notifier_webhook.so: the descriptor and ABI trampolines for WebhookNotifier.
#include "webhook_notifier.h"

BAMBUDDY_PLUGIN(bambuddy::notifier_webhook::WebhookNotifier)
