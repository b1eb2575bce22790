// The entry point of bb_notifier_ntfy.so: the descriptor and ABI trampolines for NtfyNotifier.
#include "ntfy_notifier.h"

BAMBUDDY_PLUGIN(bambuddy::notifier_ntfy::NtfyNotifier)
