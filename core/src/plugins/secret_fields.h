// Secrets in plugin settings (access codes, passwords, signing secrets) are marked in the plugin's
// instance schema with "writeOnly": true or "x-bambuddy-secret": true. The core never returns
// them: reads show a fixed mask, and a PATCH that sends the mask back keeps the stored value.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace bambuddy::plugins {

inline constexpr const char* kSecretMask = "********";

// A copy of `settings` with every secret property (at any object depth the schema describes)
// replaced by kSecretMask. Unparseable schemas redact nothing but the well-known names
// (password, secret, token, access_code, api_key), so a broken schema never leaks those.
nlohmann::json redactSecrets(const nlohmann::json& settings, const std::string& schema_text);

// RFC 7386 JSON merge patch of `patch` onto `current`, except that a secret property whose new
// value is kSecretMask keeps its current value.
nlohmann::json mergeSettings(const nlohmann::json& current, const nlohmann::json& patch,
                             const std::string& schema_text);

// True when the top-level property `name` is secret in `schema` (a parsed instance schema; when it
// is not an object, the well-known names above count as secret).
bool isSecretField(const nlohmann::json& schema, const std::string& name);

} // namespace bambuddy::plugins
