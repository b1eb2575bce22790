// A chat service's incoming-webhook URL setting (Discord, Slack): the URL is the credential, so it
// is checked like a secret (a message says what is wrong, never what the URL holds); it must be on
// one of the service's origins (the plugin config's operator-only list) and have the service's path.
#pragma once

#include "net/plugin_config.h"
#include "net/target_url.h"
#include "text/settings_reader.h"

#include <regex>
#include <string>
#include <vector>

namespace bambuddy::common::net {

struct WebhookUrlRule {
  std::string what;      // "a Discord webhook URL": completes "must be <what> on <origins>"
  std::regex path;       // the whole path the service's URLs have
  std::string path_hint; // "/api/webhooks/<numeric id>/<token> (copy the URL from ...)"
};

// The setting `field` (required) checked by `rule`; refuses through `in` (invalid_settings).
TargetUrl checkedWebhookUrl(const text::SettingsReader& in, const std::string& field,
                            const std::vector<std::string>& origins, const WebhookUrlRule& rule);

} // namespace bambuddy::common::net
