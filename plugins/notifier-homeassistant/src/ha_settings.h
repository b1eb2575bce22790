// notifier.homeassistant's instance settings, parsed and checked (see schema/instance.schema.json).
#pragma once

#include "net/target_url.h"
#include "text/event_templates.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace bambuddy::notifier_homeassistant {

inline constexpr const char* kDefaultService = "persistent_notification.create";
inline constexpr int64_t kDefaultTimeoutMs = 10000;
inline constexpr size_t kMaxDataBytes = 8192;

struct HomeAssistantSettings {
  common::net::TargetUrl service_url;               // <url>/api/services/<domain>/<service>
  std::string service;                              // "notify.mobile_app_pixel_8"
  std::string token;                                // secret, sent as Authorization: Bearer
  std::optional<nlohmann::json> data;               // the service call's "data" (notify services only)
  std::map<std::string, nlohmann::json> event_data; // event or "*" -> data replacing `data`
  common::text::EventTemplates templates;           // title, message
  int64_t timeout_ms = kDefaultTimeoutMs;

  // The data for `event`: event_data[event], event_data["*"], then data; nullopt for none.
  std::optional<nlohmann::json> dataFor(const std::string& event) const;
};

// Throws sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_settings",
// "notifier.homeassistant settings: /...") naming the field; never repeats the token.
HomeAssistantSettings parseHomeAssistantSettings(const std::string& settings_json);

} // namespace bambuddy::notifier_homeassistant
