// auth.apikey: authenticates requests by API key and serves the key management routes.
#pragma once

#include "key_registry.h"
#include "key_routes.h"
#include "periodic_task.h"
#include "plugin_config.h"

#include <bambuddy/sdk.hpp>
#include <bambuddy_plugin_schemas.h>

#include <memory>
#include <string>

namespace bambuddy::auth_apikey {

class ApiKeyAuth : public sdk::Authenticator {
public:
  static constexpr const char* kName = "auth.apikey";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "API keys (X-API-Key or Bearer) with permissions, expiry, IP "
                                              "allow-lists, per-key rate limits and rotation";
  static constexpr const char* kConfigSchema = plugin::kConfigSchemaJson;
  static constexpr const char* kInstanceSchema = plugin::kInstanceSchemaJson;

  // Loads the stored keys, bootstraps the admin key, registers the routes and starts the usage
  // writer. Throws sdk::Error: invalid_config / invalid_settings / invalid_admin_key
  // (BB_ERR_INVALID_ARGUMENT), admin_key_file (BB_ERR_IO), or a kv failure.
  ApiKeyAuth(sdk::Host host, const std::string& config_json, const std::string& settings_json);
  // Stops the usage writer and writes the usage not yet saved.
  ~ApiKeyAuth() override;

  // The key comes from X-API-Key, else from "Authorization: Bearer bb_...". No key (or a Bearer
  // token that is not an API key, left to other authenticators) = NoCredentials. Refusals:
  // invalid_api_key, api_key_disabled, api_key_expired, ip_not_allowed.
  sdk::AuthResult authenticate(const sdk::AuthRequest& request) override;

private:
  sdk::Host host_;
  PluginConfig config_;
  KeyRegistry registry_;
  KeyRoutes routes_;
  std::unique_ptr<PeriodicTask> usage_writer_;
  uint64_t kv_subscription_ = 0; // kv_changed: another server instance changed the stored keys
};

} // namespace bambuddy::auth_apikey
