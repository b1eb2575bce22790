// The first admin key: from BAMBUDDY_ADMIN_KEY, or generated and written to a 0600 file.
#pragma once

#include "key_registry.h"
#include "plugin_config.h"

#include <bambuddy/sdk.hpp>

#include <string>

namespace bambuddy::auth_apikey {

inline constexpr const char* kAdminKeyEnv = "BAMBUDDY_ADMIN_KEY";

// Runs once at instance creation:
//  - BAMBUDDY_ADMIN_KEY set (non-empty): it must be a well-formed key, else creation fails with
//    "invalid_admin_key" (the value is never echoed). When no stored key has its digest, it is
//    stored as key "admin" with the admin permission, whatever other keys exist. When one does, it
//    is left as the API last set it (a warning says so if it is not a usable admin key): the API
//    owns existing keys, the variable only seeds.
//  - otherwise, when no enabled, unexpired admin key exists: a new key "admin" is generated,
//    written to the admin key file (config admin_key_file, relative to the server data directory)
//    with mode 0600, and only then stored. The log names the path, never the key.
void ensureAdminKey(const sdk::Host& host, KeyRegistry& registry, const PluginConfig& config);

// Where the bootstrap file goes: `admin_key_file` if absolute, else below the server data
// directory (the instance data directory on hosts that do not provide one).
std::string adminKeyPath(const sdk::Host& host, const PluginConfig& config);

} // namespace bambuddy::auth_apikey
