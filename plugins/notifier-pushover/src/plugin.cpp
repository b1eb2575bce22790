// The entry point of bb_notifier_pushover.so: the descriptor and ABI trampolines for PushoverNotifier.
#include "pushover_notifier.h"

BAMBUDDY_PLUGIN(bambuddy::notifier_pushover::PushoverNotifier)
