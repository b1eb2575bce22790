// notifier.pushover's instance settings, parsed and checked (see schema/instance.schema.json).
#pragma once

#include "net/target_url.h"
#include "text/event_templates.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace bambuddy::notifier_pushover {

inline constexpr const char* kDefaultApiUrl = "https://api.pushover.net/1/messages.json";
inline constexpr int64_t kDefaultTimeoutMs = 10000;

struct PushoverSettings {
  common::net::TargetUrl api_url;
  std::string user_key;                // secret
  std::string app_token;               // secret
  std::map<std::string, int> priority; // event or "*" -> -2..2 (overrides only)
  std::optional<int64_t> retry_s;      // set when some priority is 2 (emergency)
  std::optional<int64_t> expire_s;
  std::optional<std::string> device;
  std::optional<std::string> sound;
  common::text::EventTemplates templates; // title, message
  int64_t timeout_ms = kDefaultTimeoutMs;

  int priorityFor(const std::string& event) const;
};

// Throws sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_settings", "notifier.pushover settings: /...")
// naming the field; never repeats a key or token.
PushoverSettings parsePushoverSettings(const std::string& settings_json);

// The built-in priority: 1 (high) for print_failed and printer_error, -1 (quiet) for
// print_progress, 0 otherwise.
int defaultPriority(const std::string& event);

} // namespace bambuddy::notifier_pushover
