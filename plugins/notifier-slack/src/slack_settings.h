// notifier.slack's config block and instance settings, parsed and checked (see schema/).
#pragma once

#include "net/plugin_config.h"
#include "net/target_url.h"
#include "text/event_templates.h"

#include <cstdint>
#include <string>
#include <vector>

namespace bambuddy::notifier_slack {

inline constexpr int64_t kDefaultTimeoutMs = 10000;

struct SlackConfig {
  common::net::SsrfPolicy policy;
  std::vector<std::string> webhook_origins; // where webhook URLs may point, e.g. "https://hooks.slack.com"
};

struct SlackSettings {
  common::net::TargetUrl webhook_url;     // secret: the path is the credential
  common::text::EventTemplates templates; // title, message
  int64_t timeout_ms = kDefaultTimeoutMs;
};

// Throws sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_config", "notifier.slack config: ...").
SlackConfig parseSlackConfig(const std::string& config_json);

// Throws sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_settings", "notifier.slack settings: /...")
// naming the field; never repeats the webhook URL's path.
SlackSettings parseSlackSettings(const std::string& settings_json, const SlackConfig& config);

} // namespace bambuddy::notifier_slack
