// notifier.ntfy: publishes each notification to an ntfy topic as a push message (title, priority,
// tags, click URL, message body) written from templates. One attempt per send(); the core owns
// retries.
#pragma once

#include "net/curl_handle.h"
#include "net/http_attempt.h"
#include "net/ssrf_guard.h"
#include "ntfy_settings.h"
#include "text/notification.h"

#include <bambuddy/sdk.hpp>
#include <bambuddy_plugin_schemas.h>

#include <string>
#include <vector>

namespace bambuddy::notifier_ntfy {

inline constexpr const char* kUserAgent = "Bambuddy-Ntfy/1";
inline constexpr size_t kMaxMessageBytes = 4096; // ntfy turns longer messages into attachments
inline constexpr size_t kMaxTitleBytes = 256;

// The rendered parts of one push message.
struct NtfyMessage {
  std::string title;
  std::string message;
  int priority = 3;
  std::vector<std::string> tags;
  std::string click; // "" when none
};

class NtfyNotifier : public sdk::Notifier {
public:
  static constexpr const char* kName = "notifier.ntfy";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "Publishes notifications as push messages to an ntfy topic";
  static constexpr const char* kConfigSchema = bambuddy::plugin::kConfigSchemaJson;
  static constexpr const char* kInstanceSchema = bambuddy::plugin::kInstanceSchemaJson;

  NtfyNotifier(sdk::Host host, const std::string& config_json, const std::string& settings_json);

  // Thread-safe: everything it reads is fixed at construction, each call has its own curl handle.
  sdk::DeliveryResult send(const std::string& notification_json, int64_t deadline_ms) override;
  // The first image as an attachment: PUT with the image as the body, `Filename`, and the message
  // in the `Message` header; the text alone in the same call when ntfy refuses the attachment
  // (400: attachments off on the server, 413: too large).
  sdk::DeliveryResult sendWithAttachments(const std::string& notification_json,
                                          const std::vector<sdk::Attachment>& attachments,
                                          int64_t deadline_ms) override;
  // Title, message, priority, tags and click; never the topic or the token.
  std::string preview(const std::string& notification_json) override;

private:
  NtfyMessage render(const common::text::Notification& notification) const;
  // Title, Priority, Tags, Click and Authorization, as every publish carries them.
  std::vector<std::string> publishHeaders(const NtfyMessage& m) const;
  common::net::HttpAttempt textAttempt(const NtfyMessage& m, int64_t remaining_ms) const;

  common::net::CurlGlobal curl_; // first member: initialised before, cleaned up after the rest
  sdk::Host host_;
  common::net::SsrfPolicy policy_;
  NtfySettings settings_;
};

} // namespace bambuddy::notifier_ntfy
