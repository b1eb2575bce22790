// A notifier's config block when it holds more than the SSRF guard's lists: the guard's
// `allow_cidrs` / `deny_cidrs` plus the plugin's own keys, all checked at once.
#pragma once

#include "net/ssrf_guard.h"
#include "net/target_url.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace bambuddy::common::net {

struct PluginConfig {
  SsrfPolicy policy;
  nlohmann::json document; // the whole block, for the plugin's own keys
};

// Throws sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_config", "<plugin_name> config: ...") for bad
// JSON, unknown keys (allowed: allow_cidrs, deny_cidrs and `extra_keys`) and bad CIDR entries.
PluginConfig readPluginConfig(const std::string& config_json, const std::string& plugin_name,
                              const std::vector<std::string>& extra_keys);

// "https://discord.com" for a URL: scheme, host and the port only when it is not the scheme's
// default. IPv6 hosts in brackets.
std::string originOf(const TargetUrl& url);

// The config's `key`: an array of http(s) origins ("https://hooks.slack.com"), normalised by
// originOf(); `defaults` when absent. For operators who must send through another host than the
// service's own (a gateway, a test receiver). Throws sdk::Error "invalid_config" naming the entry.
std::vector<std::string> originsFromConfig(const PluginConfig& config, const std::string& plugin_name,
                                           const std::string& key, const std::vector<std::string>& defaults);

} // namespace bambuddy::common::net
