// notifier.ntfy's instance settings, parsed and checked (see schema/instance.schema.json).
#pragma once

#include "net/target_url.h"
#include "text/event_templates.h"
#include "text/template.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bambuddy::notifier_ntfy {

inline constexpr const char* kDefaultServer = "https://ntfy.sh";
inline constexpr int64_t kDefaultTimeoutMs = 10000;

struct NtfySettings {
  common::net::TargetUrl publish_url; // <server>/<topic>
  std::string topic;
  std::optional<std::string> token;
  std::map<std::string, int> priority;                  // event or "*" -> 1..5 (overrides only)
  std::map<std::string, std::vector<std::string>> tags; // event or "*" -> tags (overrides only)
  std::optional<common::text::Template> click;
  common::text::EventTemplates templates; // title, message
  int64_t timeout_ms = kDefaultTimeoutMs;

  int priorityFor(const std::string& event) const;
  std::vector<std::string> tagsFor(const std::string& event) const;
};

// Throws sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_settings", "notifier.ntfy settings: /topic
// ...") naming the field; never echoes the token.
NtfySettings parseNtfySettings(const std::string& settings_json);

// The built-in priority and tags of an event.
int defaultPriority(const std::string& event);
std::vector<std::string> defaultTags(const std::string& event);

} // namespace bambuddy::notifier_ntfy
