// The entry point of bb_notifier_mqtt.so: the descriptor and ABI trampolines for MqttNotifier.
#include "mqtt_notifier.h"

BAMBUDDY_PLUGIN(bambuddy::notifier_mqtt::MqttNotifier)
