// notifier.webhook's settings, parsed and checked from the plugin's config block and one
// instance's settings (the host validates against the schemas too, but a plugin must not trust
// that, and several rules are beyond JSON Schema: URL parsing, base64 of the secrets, reserved
// header names).
#pragma once

#include "net/ssrf_guard.h"
#include "net/target_url.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bambuddy::notifier_webhook {

inline constexpr int64_t kDefaultTimeoutMs = 10000;

struct WebhookSettings {
  common::net::TargetUrl url;
  std::optional<std::string> secret_key;          // the decoded key bytes; none = unsigned
  std::optional<std::string> previous_secret_key; // decoded; used until previous_secret_expires_ms
  int64_t previous_secret_expires_ms = 0;
  std::vector<std::pair<std::string, std::string>> headers; // custom, in name order
  int64_t timeout_ms = kDefaultTimeoutMs;
};

// Throws sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_settings", "notifier.webhook settings: /url
// scheme 'ftp' is not allowed (use http or https)") and the like. Messages never contain a secret,
// a header value, or the URL's path or query.
WebhookSettings parseWebhookSettings(const std::string& settings_json);

} // namespace bambuddy::notifier_webhook
