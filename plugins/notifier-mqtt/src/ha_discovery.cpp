#include "ha_discovery.h"

#include <nlohmann/json.hpp>

namespace bambuddy::notifier_mqtt {
namespace {

using nlohmann::json;

// The states of GET /printers/{id}/status (design/API.md "Printer status").
const std::vector<std::string> kStates = {"idle",     "preparing", "printing", "paused",
                                          "finished", "failed",    "offline"};

struct Entity {
  const char* component; // sensor | binary_sensor | button
  const char* object;    // unique within the printer
  const char* name;      // shown after the device name
  // Whether the entity is unavailable while the printer is disconnected. The connectivity sensor
  // and the state (which says "offline" itself) stay available.
  bool needs_printer;
};

const std::vector<Entity> kSensors = {
    {"sensor", "state", "State", false},
    {"sensor", "progress", "Progress", true},
    {"sensor", "remaining_time", "Remaining time", true},
    {"sensor", "nozzle_temperature", "Nozzle temperature", true},
    {"sensor", "bed_temperature", "Bed temperature", true},
    {"sensor", "chamber_temperature", "Chamber temperature", true},
    {"sensor", "current_file", "Current file", true},
    {"sensor", "layer", "Layer", true},
    {"binary_sensor", "online", "Online", false},
    {"binary_sensor", "problem", "Problem", true},
};

const std::vector<Entity> kButtons = {
    {"button", "pause", "Pause", true},
    {"button", "resume", "Resume", true},
    {"button", "stop", "Stop", true},
};

std::string nodeId(const DiscoveryContext& context, int64_t printer_id) {
  return "bambuddy_" + haId(context.client_id) + "_" + std::to_string(printer_id);
}

std::string configTopic(const DiscoveryContext& context, int64_t printer_id, const Entity& entity) {
  return context.discovery_prefix + "/" + entity.component + "/" + nodeId(context, printer_id) + "/" +
         entity.object + "/config";
}

// A status field that may be missing or null renders as None, which HA shows as "unknown".
std::string nested(const char* object, const char* field) {
  return std::string("{{ (value_json.") + object + " or {})." + field + " | default(none) }}";
}

std::string plain(const char* field) {
  return std::string("{{ value_json.") + field + " | default(none) }}";
}

void describe(json& config, const Entity& entity) {
  const std::string object = entity.object;
  if (object == "state") {
    config["device_class"] = "enum";
    config["options"] = kStates;
    config["value_template"] = plain("state");
    config["icon"] = "mdi:printer-3d";
  } else if (object == "progress") {
    config["unit_of_measurement"] = "%";
    config["state_class"] = "measurement";
    config["value_template"] = plain("progress");
    config["icon"] = "mdi:progress-clock";
  } else if (object == "remaining_time") {
    config["device_class"] = "duration";
    config["unit_of_measurement"] = "s";
    config["value_template"] = plain("remaining_time");
  } else if (object == "nozzle_temperature" || object == "bed_temperature" ||
             object == "chamber_temperature") {
    config["device_class"] = "temperature";
    config["unit_of_measurement"] = "°C";
    config["state_class"] = "measurement";
    const std::string field = object.substr(0, object.find('_'));
    config["value_template"] = nested("temperatures", field.c_str());
  } else if (object == "current_file") {
    config["value_template"] = nested("current_print", "filename");
    config["icon"] = "mdi:file-outline";
  } else if (object == "layer") {
    config["state_class"] = "measurement";
    config["value_template"] = plain("layer");
    config["icon"] = "mdi:layers-outline";
    config["json_attributes_topic"] = config["state_topic"];
    config["json_attributes_template"] =
        "{{ {'total_layers': value_json.total_layers | default(none)} | tojson }}";
  } else if (object == "online") {
    config["device_class"] = "connectivity";
    config["value_template"] = "{{ 'ON' if value_json.connected else 'OFF' }}";
  } else if (object == "problem") {
    config["device_class"] = "problem";
    config["value_template"] = "{{ 'ON' if (value_json.errors or []) | length > 0 else 'OFF' }}";
    config["json_attributes_topic"] = config["state_topic"];
    config["json_attributes_template"] = "{{ {'errors': value_json.errors or []} | tojson }}";
  }
}

json entityConfig(const DiscoveryContext& context, const PrinterIdentity& printer, const Entity& entity) {
  const std::string node = nodeId(context, printer.id);
  json device = {{"identifiers", json::array({node})}, {"name", printer.name}, {"manufacturer", "Bambu Lab"}};
  if (!printer.model.empty()) {
    device["model"] = printer.model;
  }
  json availability = json::array({{{"topic", context.topics.availability()},
                                    {"payload_available", kOnline},
                                    {"payload_not_available", kOffline}}});
  if (entity.needs_printer) {
    availability.push_back({{"topic", context.topics.printerStatus(printer.id)},
                            {"value_template", "{{ 'online' if value_json.connected else 'offline' }}"},
                            {"payload_available", kOnline},
                            {"payload_not_available", kOffline}});
  }
  json config = {{"name", entity.name},
                 {"unique_id", node + "_" + entity.object},
                 {"device", device},
                 {"origin", {{"name", "Bambuddy"}, {"sw_version", context.plugin_version}}},
                 {"availability", availability},
                 {"availability_mode", "all"},
                 {"qos", context.qos}};
  if (std::string(entity.component) == "button") {
    config["command_topic"] = context.topics.printerCommand(printer.id);
    config["payload_press"] = entity.object;
    config["icon"] = std::string(entity.object) == "pause"    ? "mdi:pause"
                     : std::string(entity.object) == "resume" ? "mdi:play"
                                                              : "mdi:stop";
  } else {
    config["state_topic"] = context.topics.printerStatus(printer.id);
    describe(config, entity);
  }
  return config;
}

} // namespace

std::string haId(const std::string& text) {
  std::string out = text;
  for (char& c : out) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) {
      c = '_';
    }
  }
  return out;
}

std::vector<DiscoveryMessage> discoveryConfigs(const DiscoveryContext& context,
                                               const PrinterIdentity& printer) {
  std::vector<DiscoveryMessage> out;
  for (const Entity& entity : kSensors) {
    out.push_back(
        {configTopic(context, printer.id, entity),
         entityConfig(context, printer, entity).dump(-1, ' ', false, json::error_handler_t::replace)});
  }
  for (const Entity& entity : kButtons) {
    out.push_back(
        {configTopic(context, printer.id, entity),
         context.allow_control
             ? entityConfig(context, printer, entity).dump(-1, ' ', false, json::error_handler_t::replace)
             : std::string()});
  }
  return out;
}

std::vector<DiscoveryMessage> discoveryRemovals(const DiscoveryContext& context, int64_t printer_id) {
  std::vector<DiscoveryMessage> out;
  for (const auto* list : {&kSensors, &kButtons}) {
    for (const Entity& entity : *list) {
      out.push_back({configTopic(context, printer_id, entity), std::string()});
    }
  }
  return out;
}

} // namespace bambuddy::notifier_mqtt
