// The entry point of bb_notifier_gotify.so: the descriptor and ABI trampolines for GotifyNotifier.
#include "gotify_notifier.h"

BAMBUDDY_PLUGIN(bambuddy::notifier_gotify::GotifyNotifier)
