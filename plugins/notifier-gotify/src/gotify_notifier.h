// notifier.gotify: pushes each notification to a Gotify server (POST /message with an application
// token) as a Markdown message with a priority per event. One attempt per send(); the core owns
// retries.
#pragma once

#include "gotify_settings.h"
#include "net/curl_handle.h"
#include "net/ssrf_guard.h"
#include "text/notification.h"

#include <bambuddy/sdk.hpp>
#include <bambuddy_plugin_schemas.h>

#include <nlohmann/json.hpp>

#include <string>
#include <utility>

namespace bambuddy::notifier_gotify {

inline constexpr const char* kUserAgent = "Bambuddy-Gotify/1";
inline constexpr size_t kMaxTitleBytes = 256;
inline constexpr size_t kMaxMessageBytes = 8192;

class GotifyNotifier : public sdk::Notifier {
public:
  static constexpr const char* kName = "notifier.gotify";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "Pushes notifications to a Gotify server";
  static constexpr const char* kConfigSchema = bambuddy::plugin::kConfigSchemaJson;
  static constexpr const char* kInstanceSchema = bambuddy::plugin::kInstanceSchemaJson;

  GotifyNotifier(sdk::Host host, const std::string& config_json, const std::string& settings_json);

  // Thread-safe: everything it reads is fixed at construction, each call has its own curl handle.
  sdk::DeliveryResult send(const std::string& notification_json, int64_t deadline_ms) override;
  // Gotify's message API takes no files: images are not sent (the SDK's default sends the text).
  std::string preview(const std::string& notification_json) override;

  // The rendered title and message (plain), before the Markdown of message().
  std::pair<std::string, std::string> text(const common::text::Notification& notification) const;
  nlohmann::json message(const common::text::Notification& notification) const;

private:
  common::net::CurlGlobal curl_; // first member: initialised before, cleaned up after the rest
  sdk::Host host_;
  common::net::SsrfPolicy policy_;
  GotifySettings settings_;
};

} // namespace bambuddy::notifier_gotify
