// notifier.homeassistant: calls a Home Assistant service for each notification over its REST API
// (POST /api/services/<domain>/<service> with a long-lived token): a notify service (phone app,
// TV, ...) with optional data per event, or persistent_notification.create. One attempt per
// send(); the core owns retries.
#pragma once

#include "ha_settings.h"
#include "net/curl_handle.h"
#include "net/ssrf_guard.h"
#include "text/notification.h"

#include <bambuddy/sdk.hpp>
#include <bambuddy_plugin_schemas.h>

#include <nlohmann/json.hpp>

#include <string>

namespace bambuddy::notifier_homeassistant {

inline constexpr const char* kUserAgent = "Bambuddy-HomeAssistant/1";
inline constexpr size_t kMaxTitleBytes = 256;
inline constexpr size_t kMaxMessageBytes = 4096;

class HomeAssistantNotifier : public sdk::Notifier {
public:
  static constexpr const char* kName = "notifier.homeassistant";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "Calls a Home Assistant notify service for each notification";
  static constexpr const char* kConfigSchema = bambuddy::plugin::kConfigSchemaJson;
  static constexpr const char* kInstanceSchema = bambuddy::plugin::kInstanceSchemaJson;

  HomeAssistantNotifier(sdk::Host host, const std::string& config_json, const std::string& settings_json);

  // Thread-safe: everything it reads is fixed at construction, each call has its own curl handle.
  sdk::DeliveryResult send(const std::string& notification_json, int64_t deadline_ms) override;
  // The REST service call takes no files: images are not sent.
  std::string preview(const std::string& notification_json) override;

  nlohmann::json serviceCall(const common::text::Notification& notification) const;

private:
  common::net::CurlGlobal curl_; // first member: initialised before, cleaned up after the rest
  sdk::Host host_;
  common::net::SsrfPolicy policy_;
  HomeAssistantSettings settings_;
};

} // namespace bambuddy::notifier_homeassistant
