// notifier.email: sends each notification as a plain-text e-mail over SMTP (STARTTLS, implicit TLS
// or plain), subject and body written from templates. One attempt per send(); the core owns retries.
#pragma once

#include "email_settings.h"
#include "mime_message.h"
#include "net/curl_handle.h"
#include "net/ssrf_guard.h"
#include "text/notification.h"

#include <bambuddy/sdk.hpp>
#include <bambuddy_plugin_schemas.h>

#include <string>
#include <vector>

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
  // The same message as multipart/mixed with each image as a base64 attachment.
  sdk::DeliveryResult sendWithAttachments(const std::string& notification_json,
                                          const std::vector<sdk::Attachment>& attachments,
                                          int64_t deadline_ms) override;
  // Subject (as "title"), text, sender and recipients; never the SMTP login.
  std::string preview(const std::string& notification_json) override;

private:
  // What the message of a notification at `now_ms` says.
  MailContent content(const common::text::Notification& notification, int64_t now_ms) const;
  sdk::DeliveryResult deliver(const std::string& notification_json, int64_t deadline_ms,
                              const std::vector<sdk::Attachment>& attachments);

  common::net::CurlGlobal curl_; // first member: initialised before, cleaned up after the rest
  sdk::Host host_;
  common::net::SsrfPolicy policy_;
  EmailSettings settings_;
};

} // namespace bambuddy::notifier_email
