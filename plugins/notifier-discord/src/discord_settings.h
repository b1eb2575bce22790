// notifier.discord's config block and instance settings, parsed and checked (see schema/).
#pragma once

#include "net/plugin_config.h"
#include "net/target_url.h"
#include "text/event_templates.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bambuddy::notifier_discord {

inline constexpr int64_t kDefaultTimeoutMs = 10000;

struct DiscordConfig {
  common::net::SsrfPolicy policy;
  std::vector<std::string> webhook_origins; // where webhook URLs may point, e.g. "https://discord.com"
};

struct DiscordSettings {
  common::net::TargetUrl webhook_url; // secret: the path holds the webhook's token
  std::optional<std::string> username;
  std::optional<std::string> avatar_url;
  std::map<std::string, uint32_t> colors; // event or "*" -> 0xRRGGBB (overrides only)
  common::text::EventTemplates templates; // title, message
  int64_t timeout_ms = kDefaultTimeoutMs;

  uint32_t colorFor(const std::string& event) const;
};

// Throws sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_config", "notifier.discord config: ...").
DiscordConfig parseDiscordConfig(const std::string& config_json);

// Throws sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_settings", "notifier.discord settings: /...")
// naming the field; never repeats the webhook URL's id or token.
DiscordSettings parseDiscordSettings(const std::string& settings_json, const DiscordConfig& config);

// The built-in embed colour of an event (green done, red failed or error, ...).
uint32_t defaultColor(const std::string& event);

} // namespace bambuddy::notifier_discord
