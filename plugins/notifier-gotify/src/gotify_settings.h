// notifier.gotify's instance settings, parsed and checked (see schema/instance.schema.json).
#pragma once

#include "net/target_url.h"
#include "text/event_templates.h"

#include <cstdint>
#include <map>
#include <string>

namespace bambuddy::notifier_gotify {

inline constexpr int64_t kDefaultTimeoutMs = 10000;

struct GotifySettings {
  common::net::TargetUrl message_url;     // <server>/message
  std::string app_token;                  // secret, sent as X-Gotify-Key
  std::map<std::string, int> priority;    // event or "*" -> 0..10 (overrides only)
  common::text::EventTemplates templates; // title, message
  int64_t timeout_ms = kDefaultTimeoutMs;

  int priorityFor(const std::string& event) const;
};

// Throws sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_settings", "notifier.gotify settings: /...")
// naming the field; never repeats the token.
GotifySettings parseGotifySettings(const std::string& settings_json);

// The built-in priority of an event: 8 (failed, error, offline), 5 (finished), 4 otherwise.
int defaultPriority(const std::string& event);

} // namespace bambuddy::notifier_gotify
