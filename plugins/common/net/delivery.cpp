#include "net/delivery.h"

#include "text/utf8.h"

#include <stdexcept>

namespace bambuddy::common::net {

sdk::DeliveryResult failedDelivery(sdk::DeliveryResult::Outcome outcome, const std::string& error) {
  sdk::DeliveryResult r;
  r.outcome = outcome;
  r.error = text::utf8Snippet(error, kErrorMaxBytes);
  return r;
}

SendStart beginSend(const std::string& notification_json, int64_t deadline_ms, int64_t now_ms) {
  SendStart start;
  try {
    start.notification = text::parseNotification(notification_json);
  } catch (const std::invalid_argument& e) {
    start.early = failedDelivery(sdk::DeliveryResult::Outcome::Permanent, e.what());
    return start;
  }
  start.remaining_ms = deadline_ms - now_ms;
  if (start.remaining_ms <= 0) {
    start.early = failedDelivery(sdk::DeliveryResult::Outcome::Retryable,
                                 "the delivery deadline passed before the attempt started");
  }
  return start;
}

std::string previewText(const std::string& notification_json,
                        const std::function<nlohmann::json(const text::Notification&)>& describe) {
  text::Notification notification;
  try {
    notification = text::parseNotification(notification_json);
  } catch (const std::invalid_argument& e) {
    throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_notification", e.what());
  }
  nlohmann::json described;
  try {
    described = describe(notification);
  } catch (const sdk::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "template_error",
                     std::string("the message cannot be rendered: ") + e.what());
  }
  return described.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace bambuddy::common::net
