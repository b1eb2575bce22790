// The plugin's YAML config block (schema/config.schema.json) and its instance settings.
#pragma once

#include <cstdint>
#include <string>

namespace bambuddy::auth_apikey {

struct PluginConfig {
  int64_t usage_flush_interval_ms = 30000;      // at most one usage write per key per interval
  std::string admin_key_file = "admin-api-key"; // relative to the server data directory
  int64_t default_grace_period_s = 86400;       // rotation grace when the request names none
};

// Parses and checks the config (the host validated it against the schema already; this repeats
// the checks so a bad value can never slip through). Throws sdk::Error(BB_ERR_INVALID_ARGUMENT,
// "invalid_config"). Settings must be an empty object ("invalid_settings").
PluginConfig parsePluginConfig(const std::string& config_json);
void checkInstanceSettings(const std::string& settings_json);

} // namespace bambuddy::auth_apikey
