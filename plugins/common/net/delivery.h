// What every notifier's send() does around its one attempt: bounded result texts, and the common
// start (parse the notification, check the deadline) with its early answers.
#pragma once

#include "text/notification.h"

#include <bambuddy/sdk.hpp>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace bambuddy::common::net {

// The response snippet and error limits of bb_delivery_result, NUL excluded.
inline constexpr size_t kSnippetMaxBytes = 1023;
inline constexpr size_t kErrorMaxBytes = 255;

// A failed result with `error` cut to kErrorMaxBytes of valid UTF-8.
sdk::DeliveryResult failedDelivery(sdk::DeliveryResult::Outcome outcome, const std::string& error);

struct SendStart {
  std::optional<sdk::DeliveryResult> early; // set: return it, there is nothing to attempt
  text::Notification notification;
  int64_t remaining_ms = 0; // time to the deadline by the host's clock
};

// A malformed notification is Permanent (the same bytes never become valid); a deadline already
// passed is Retryable without any attempt.
SendStart beginSend(const std::string& notification_json, int64_t deadline_ms, int64_t now_ms);

// What every notifier's preview() does around its message builder: parses the notification
// (sdk::Error BB_ERR_INVALID_ARGUMENT "invalid_notification" when malformed), calls `describe`, and
// returns the description as JSON text. A std::exception (not an sdk::Error) thrown while
// rendering becomes sdk::Error(BB_ERR_INVALID_ARGUMENT, "template_error", ...). Never touches the
// network; thread-safe as far as `describe` is.
std::string previewText(const std::string& notification_json,
                        const std::function<nlohmann::json(const text::Notification&)>& describe);

} // namespace bambuddy::common::net
