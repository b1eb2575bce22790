// The entry point of bb_notifier_email.so: the descriptor and ABI trampolines for EmailNotifier.
#include "email_notifier.h"

BAMBUDDY_PLUGIN(bambuddy::notifier_email::EmailNotifier)
