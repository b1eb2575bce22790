// The entry point of bb_notifier_bark.so: the descriptor and ABI trampolines for BarkNotifier.
#include "bark_notifier.h"

BAMBUDDY_PLUGIN(bambuddy::notifier_bark::BarkNotifier)
