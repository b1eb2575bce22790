// The entry point of bb_notifier_slack.so: the descriptor and ABI trampolines for SlackNotifier.
#include "slack_notifier.h"

BAMBUDDY_PLUGIN(bambuddy::notifier_slack::SlackNotifier)
