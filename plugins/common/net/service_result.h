// The result of one attempt against a hosted service (Discord, Telegram, Pushover, ...), on top of
// deliveryResult(): the error names the service and says what to fix, quotes the service's own
// reason from its JSON answer, and takes a retry time the service puts in the body (Discord's
// `retry_after`, Telegram's `parameters.retry_after`) as well as the Retry-After header.
#pragma once

#include "net/http_attempt.h"

#include <bambuddy/sdk.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace bambuddy::common::net {

// What a service's error answer says, read from its JSON body.
struct ServiceError {
  std::string detail;                    // the service's words ("Unknown Webhook"), "" when none
  std::optional<int64_t> retry_after_ms; // a retry time from the body
};

struct ServiceAnswerRules {
  std::string service; // "Discord"
  // Reads the body of a 4xx/5xx answer (only called when it is JSON); may be empty.
  std::function<ServiceError(const nlohmann::json& body)> read_error;
  // When the body is not JSON, take it as the service's words (Slack answers "no_service").
  bool plain_text_detail = false;
  // What a permanent refusal (401, 403, 404, 400, ...) means for this service, e.g. "the webhook
  // was deleted or its URL is wrong"; "" for none.
  std::function<std::string(long status)> hint;
};

// 2xx Delivered, 3xx Permanent, 408/429/5xx Retryable (the longer of the Retry-After header and
// the body's retry time), 410 Permanent (http_status 410 makes the core disable the provider),
// other 4xx Permanent; transport failures and the SSRF guard as deliveryResult() maps them.
// Errors read "HTTP 401 from Discord: <hint> (Discord says: <detail>)".
sdk::DeliveryResult serviceDeliveryResult(const HttpExchange& exchange, int64_t now_ms, int64_t timeout_ms,
                                          const ServiceAnswerRules& rules);

// A read_error for services whose error answer is an object with the reason in one string field
// ({"message": "..."} for Bark and Home Assistant, {"errorDescription": "..."} for Gotify).
std::function<ServiceError(const nlohmann::json& body)> detailFromField(std::string field);

// A retry time in seconds (an integer or a fraction, as Discord and Telegram give it) in whole
// milliseconds, rounded up and capped at 7 days; nullopt when `value` is not a finite number >= 0.
std::optional<int64_t> retrySecondsToMs(const nlohmann::json& value);

} // namespace bambuddy::common::net
