// notifier.matrix: sends each notification as a message to a Matrix room through the client-server
// API: PUT /_matrix/client/v3/rooms/{roomId}/send/m.room.message/{txnId}, with a plain body and an
// HTML formatted_body. The transaction id comes from the notification's event id, so the
// homeserver de-duplicates a retry of an attempt that did arrive. One attempt per send(); the core
// owns retries.
#pragma once

#include "matrix_settings.h"
#include "net/curl_handle.h"
#include "net/ssrf_guard.h"
#include "text/notification.h"

#include <bambuddy/sdk.hpp>
#include <bambuddy_plugin_schemas.h>

#include <nlohmann/json.hpp>

#include <string>
#include <utility>

namespace bambuddy::notifier_matrix {

inline constexpr const char* kUserAgent = "Bambuddy-Matrix/1";
inline constexpr size_t kMaxTitleBytes = 256;
inline constexpr size_t kMaxMessageBytes = 8192;

// The transaction id of a notification: the same for every attempt of that event.
std::string transactionId(const std::string& event_id);

class MatrixNotifier : public sdk::Notifier {
public:
  static constexpr const char* kName = "notifier.matrix";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "Sends notifications as messages to a Matrix room";
  static constexpr const char* kConfigSchema = bambuddy::plugin::kConfigSchemaJson;
  static constexpr const char* kInstanceSchema = bambuddy::plugin::kInstanceSchemaJson;

  MatrixNotifier(sdk::Host host, const std::string& config_json, const std::string& settings_json);

  // Thread-safe: everything it reads is fixed at construction, each call has its own curl handle.
  sdk::DeliveryResult send(const std::string& notification_json, int64_t deadline_ms) override;
  // Images are not sent (an m.image needs a media upload first, not done here).
  std::string preview(const std::string& notification_json) override;

  // The rendered title and message (plain), before message() joins and formats them.
  std::pair<std::string, std::string> text(const common::text::Notification& notification) const;
  nlohmann::json message(const common::text::Notification& notification) const;

private:
  common::net::CurlGlobal curl_; // first member: initialised before, cleaned up after the rest
  sdk::Host host_;
  common::net::SsrfPolicy policy_;
  MatrixSettings settings_;
};

} // namespace bambuddy::notifier_matrix
