// notifier.pushover: sends each notification through Pushover's messages API (a form POST with the
// app token and user key) with a priority per event. One attempt per send(); the core owns retries.
#pragma once

#include "net/curl_handle.h"
#include "net/http_attempt.h"
#include "net/ssrf_guard.h"
#include "pushover_settings.h"
#include "text/notification.h"

#include <bambuddy/sdk.hpp>
#include <bambuddy_plugin_schemas.h>

#include <string>
#include <utility>
#include <vector>

namespace bambuddy::notifier_pushover {

inline constexpr const char* kUserAgent = "Bambuddy-Pushover/1";
// Pushover's limits are 250 and 1024 characters; bytes are never more.
inline constexpr size_t kMaxTitleBytes = 250;
inline constexpr size_t kMaxMessageBytes = 1024;
// Pushover takes attachments of at most 2.5 MB; a larger image is left out.
inline constexpr size_t kMaxAttachmentBytes = 2621440;

class PushoverNotifier : public sdk::Notifier {
public:
  static constexpr const char* kName = "notifier.pushover";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "Sends notifications through Pushover";
  static constexpr const char* kConfigSchema = bambuddy::plugin::kConfigSchemaJson;
  static constexpr const char* kInstanceSchema = bambuddy::plugin::kInstanceSchemaJson;

  PushoverNotifier(sdk::Host host, const std::string& config_json, const std::string& settings_json);

  // Thread-safe: everything it reads is fixed at construction, each call has its own curl handle.
  sdk::DeliveryResult send(const std::string& notification_json, int64_t deadline_ms) override;
  // The first image as `attachment` of a multipart request with the same fields; without it when
  // it is over 2.5 MB, or in the same call when Pushover refuses it (400, 413).
  sdk::DeliveryResult sendWithAttachments(const std::string& notification_json,
                                          const std::vector<sdk::Attachment>& attachments,
                                          int64_t deadline_ms) override;
  // The fields without the app token and user key.
  std::string preview(const std::string& notification_json) override;

  // The form fields of one message, in order.
  std::vector<std::pair<std::string, std::string>>
  fields(const common::text::Notification& notification) const;

private:
  common::net::HttpAttempt formAttempt(const std::vector<std::pair<std::string, std::string>>& fields,
                                       int64_t remaining_ms) const;

  common::net::CurlGlobal curl_; // first member: initialised before, cleaned up after the rest
  sdk::Host host_;
  common::net::SsrfPolicy policy_;
  PushoverSettings settings_;
};

} // namespace bambuddy::notifier_pushover
