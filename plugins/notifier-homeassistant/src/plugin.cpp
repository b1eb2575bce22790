// The entry point of bb_notifier_homeassistant.so: the descriptor and ABI trampolines for
// HomeAssistantNotifier.
#include "ha_notifier.h"

BAMBUDDY_PLUGIN(bambuddy::notifier_homeassistant::HomeAssistantNotifier)
