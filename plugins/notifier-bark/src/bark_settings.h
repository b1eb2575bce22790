// notifier.bark's instance settings, parsed and checked (see schema/instance.schema.json).
#pragma once

#include "net/target_url.h"
#include "text/event_templates.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace bambuddy::notifier_bark {

inline constexpr const char* kDefaultServer = "https://api.day.app";
inline constexpr int64_t kDefaultTimeoutMs = 10000;

struct BarkSettings {
  common::net::TargetUrl push_url; // <server>/push
  std::string device_key;          // secret
  std::optional<std::string> group;
  std::optional<std::string> sound;
  std::map<std::string, std::string> level; // event or "*" -> level (overrides only)
  common::text::EventTemplates templates;   // title, message
  int64_t timeout_ms = kDefaultTimeoutMs;

  std::string levelFor(const std::string& event) const;
};

// Throws sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_settings", "notifier.bark settings: /...")
// naming the field; never repeats the device key.
BarkSettings parseBarkSettings(const std::string& settings_json);

// timeSensitive for print_failed and printer_error, passive for print_progress, active otherwise.
std::string defaultLevel(const std::string& event);

} // namespace bambuddy::notifier_bark
