// notifier.email: sends each notification as a plain-text e-mail over SMTP (STARTTLS, implicit TLS
// or plain), subject and body written from templates. One attempt per send(); the core owns retries.
#pragma once

#include "email_settings.h"
#include "net/curl_handle.h"
#include "net/ssrf_guard.h"
#include "text/notification.h"

#include <bambuddy/sdk.hpp>
#include <bambuddy_plugin_schemas.h>

#include <string>

namespace bambuddy::notifier_email {

class EmailNotifier : public sdk::Notifier {
public:
  static constexpr const char* kName = "notifier.email";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "Sends notifications as e-mail over SMTP";
  static constexpr const char* kConfigSchema = bambuddy::plugin::kConfigSchemaJson;
  static constexpr const char* kInstanceSchema = bambuddy::plugin::kInstanceSchemaJson;

  EmailNotifier(sdk::Host host, const std::string& config_json, const std::string& settings_json);

  // Thread-safe: everything it reads is fixed at construction, each call has its own curl handle.
  sdk::DeliveryResult send(const std::string& notification_json, int64_t deadline_ms) override;

private:
  // The RFC 5322 message for a notification at `now_ms`.
  std::string message(const common::text::Notification& notification, int64_t now_ms) const;

  common::net::CurlGlobal curl_; // first member: initialised before, cleaned up after the rest
  sdk::Host host_;
  common::net::SsrfPolicy policy_;
  EmailSettings settings_;
};

} // namespace bambuddy::notifier_email
