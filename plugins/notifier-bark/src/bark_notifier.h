// notifier.bark: pushes each notification to an iPhone through a Bark server (POST /push with the
// device key in the JSON body, never in the URL). One attempt per send(); the core owns retries.
#pragma once

#include "bark_settings.h"
#include "net/curl_handle.h"
#include "net/ssrf_guard.h"
#include "text/notification.h"

#include <bambuddy/sdk.hpp>
#include <bambuddy_plugin_schemas.h>

#include <nlohmann/json.hpp>

#include <string>

namespace bambuddy::notifier_bark {

inline constexpr const char* kUserAgent = "Bambuddy-Bark/1";
inline constexpr size_t kMaxTitleBytes = 256;
inline constexpr size_t kMaxBodyBytes = 2048; // APNs payloads are at most 4 KiB in all

class BarkNotifier : public sdk::Notifier {
public:
  static constexpr const char* kName = "notifier.bark";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "Pushes notifications to an iPhone through a Bark server";
  static constexpr const char* kConfigSchema = bambuddy::plugin::kConfigSchemaJson;
  static constexpr const char* kInstanceSchema = bambuddy::plugin::kInstanceSchemaJson;

  BarkNotifier(sdk::Host host, const std::string& config_json, const std::string& settings_json);

  // Thread-safe: everything it reads is fixed at construction, each call has its own curl handle.
  sdk::DeliveryResult send(const std::string& notification_json, int64_t deadline_ms) override;
  // Bark's push API takes no files (only an image URL): images are not sent.
  std::string preview(const std::string& notification_json) override;

  nlohmann::json push(const common::text::Notification& notification) const;

private:
  common::net::CurlGlobal curl_; // first member: initialised before, cleaned up after the rest
  sdk::Host host_;
  common::net::SsrfPolicy policy_;
  BarkSettings settings_;
};

} // namespace bambuddy::notifier_bark
