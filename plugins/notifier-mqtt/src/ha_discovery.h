// Home Assistant MQTT discovery for one printer: one HA device, its sensors and binary sensors
// reading the printer's retained status topic, and (only with allow_control) pause/resume/stop
// buttons writing to its command topic. Pure functions: the notifier publishes what they return.
//
// Topic: <discovery_prefix>/<component>/bambuddy_<node>_<printer id>/<object>/config, where
// <node> is the client id with every character outside [A-Za-z0-9_-] as '_' (HA's rule for ids).
#pragma once

#include "mqtt_topics.h"

#include <cstdint>
#include <string>
#include <vector>

namespace bambuddy::notifier_mqtt {

struct DiscoveryMessage {
  std::string topic;
  std::string payload; // "" = remove the entity (published retained, so HA forgets it)
};

// What HA shows of a printer.
struct PrinterIdentity {
  int64_t id = 0;
  std::string name;
  std::string model; // "" when unknown
  bool operator==(const PrinterIdentity& o) const { return id == o.id && name == o.name && model == o.model; }
  bool operator!=(const PrinterIdentity& o) const { return !(*this == o); }
};

struct DiscoveryContext {
  std::string discovery_prefix;
  std::string client_id;
  Topics topics;
  bool allow_control = false;
  int qos = 1;
  std::string plugin_version;
};

// HA's object ids: [A-Za-z0-9_-], everything else '_'.
std::string haId(const std::string& text);

// Every config of the printer. Without allow_control the button configs are empty payloads, so
// buttons announced while control was on disappear from HA when it is turned off.
std::vector<DiscoveryMessage> discoveryConfigs(const DiscoveryContext& context,
                                               const PrinterIdentity& printer);

// Every config topic of the printer (buttons included), each with an empty payload: HA removes
// the device's entities.
std::vector<DiscoveryMessage> discoveryRemovals(const DiscoveryContext& context, int64_t printer_id);

} // namespace bambuddy::notifier_mqtt
