#include "plugin_config.h"

#include "key_input.h"

#include <bambuddy/sdk.hpp>

#include <nlohmann/json.hpp>

namespace bambuddy::auth_apikey {
namespace {

[[noreturn]] void bad(const std::string& message) {
  throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_config", "auth.apikey config: " + message);
}

int64_t integerAtLeast(const nlohmann::json& v, const std::string& field, int64_t min, int64_t max) {
  if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > max) {
    bad("/" + field + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return v.get<int64_t>();
}

} // namespace

PluginConfig parsePluginConfig(const std::string& config_json) {
  auto doc = nlohmann::json::parse(config_json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    bad("must be a JSON object");
  }
  PluginConfig c;
  for (const auto& [field, v] : doc.items()) {
    if (field == "usage_flush_interval_ms") {
      c.usage_flush_interval_ms = integerAtLeast(v, field, 1000, 86400000);
    } else if (field == "admin_key_file") {
      if (!v.is_string() || v.get<std::string>().empty() ||
          v.get<std::string>().find('\0') != std::string::npos) {
        bad("/admin_key_file must be a non-empty path");
      }
      c.admin_key_file = v.get<std::string>();
    } else if (field == "default_grace_period_s") {
      c.default_grace_period_s = integerAtLeast(v, field, 0, kMaxGracePeriodS);
    } else {
      bad("unknown field '" + field.substr(0, 64) +
          "'; expected usage_flush_interval_ms, admin_key_file or default_grace_period_s");
    }
  }
  return c;
}

void checkInstanceSettings(const std::string& settings_json) {
  auto doc = nlohmann::json::parse(settings_json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.empty()) {
    throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_settings",
                     "auth.apikey has no instance settings; use an empty object");
  }
}

} // namespace bambuddy::auth_apikey
