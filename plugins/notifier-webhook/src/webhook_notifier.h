// notifier.webhook: POSTs each notification, byte for byte, to one receiver, signed with Standard
// Webhooks headers when a secret is set. One attempt per send(); the core owns retries.
#pragma once

#include "net/curl_handle.h"
#include "net/ssrf_guard.h"
#include "webhook_settings.h"

#include <bambuddy/sdk.hpp>
#include <bambuddy_plugin_schemas.h>

#include <string>
#include <utility>
#include <vector>

namespace bambuddy::notifier_webhook {

inline constexpr const char* kUserAgent = "Bambuddy-Webhook/1";

class WebhookNotifier : public sdk::Notifier {
public:
  static constexpr const char* kName = "notifier.webhook";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "POSTs notifications as JSON to a URL, signed with Standard Webhooks headers";
  static constexpr const char* kConfigSchema = bambuddy::plugin::kConfigSchemaJson;
  static constexpr const char* kInstanceSchema = bambuddy::plugin::kInstanceSchemaJson;

  WebhookNotifier(sdk::Host host, const std::string& config_json, const std::string& settings_json);

  // Thread-safe: everything it reads is fixed at construction, each call has its own curl handle.
  sdk::DeliveryResult send(const std::string& notification_json, int64_t deadline_ms) override;
  // Images are not sent: the body is the notification itself, byte for byte (the SDK's default).
  // The body it would POST and the headers it would set, with the signature and the custom
  // headers' values (secret) as placeholders.
  std::string preview(const std::string& notification_json) override;

private:
  // The request headers (name, value) for one attempt at `now_ms`; `describe` puts placeholders
  // where the signature and the custom headers' values would be (for preview()).
  std::vector<std::pair<std::string, std::string>>
  requestHeaders(const std::string& message_id, const std::string& body, int64_t now_ms, bool describe) const;

  common::net::CurlGlobal curl_; // first member: initialised before, cleaned up after everything else
  sdk::Host host_;
  common::net::SsrfPolicy policy_;
  WebhookSettings settings_;
};

} // namespace bambuddy::notifier_webhook
