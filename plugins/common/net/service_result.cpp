#include "net/service_result.h"

#include "text/utf8.h"

#include <algorithm>
#include <cmath>

namespace bambuddy::common::net {
namespace {

constexpr int64_t kMaxRetryMs = 7LL * 24 * 3600 * 1000;
constexpr size_t kDetailBytes = 160;

std::string retryText(int64_t ms) {
  if (ms % 1000 == 0) {
    return std::to_string(ms / 1000) + " s";
  }
  return std::to_string(ms) + " ms";
}

} // namespace

std::function<ServiceError(const nlohmann::json& body)> detailFromField(std::string field) {
  return [field = std::move(field)](const nlohmann::json& body) {
    ServiceError e;
    if (body.is_object()) {
      if (auto d = body.find(field); d != body.end() && d->is_string()) {
        e.detail = d->get<std::string>();
      }
    }
    return e;
  };
}

std::optional<int64_t> retrySecondsToMs(const nlohmann::json& value) {
  if (!value.is_number()) {
    return std::nullopt;
  }
  double seconds = value.get<double>();
  if (!std::isfinite(seconds) || seconds < 0) {
    return std::nullopt;
  }
  if (seconds * 1000 >= static_cast<double>(kMaxRetryMs)) {
    return kMaxRetryMs;
  }
  return static_cast<int64_t>(std::ceil(seconds * 1000 - 1e-6));
}

sdk::DeliveryResult serviceDeliveryResult(const HttpExchange& ex, int64_t now_ms, int64_t timeout_ms,
                                          const ServiceAnswerRules& rules) {
  sdk::DeliveryResult r = deliveryResult(ex, now_ms, timeout_ms);
  const long s = ex.status;
  if (ex.guard.any() || ex.code != CURLE_OK || s < 400) {
    return r;
  }
  ServiceError said;
  nlohmann::json body = nlohmann::json::parse(ex.body_head, nullptr, false);
  if (!body.is_discarded() && rules.read_error) {
    said = rules.read_error(body);
  } else if (body.is_discarded() && rules.plain_text_detail) {
    said.detail = ex.body_head;
  }
  std::string message = "HTTP " + std::to_string(s) + " from " + rules.service;
  if (r.outcome == sdk::DeliveryResult::Outcome::Retryable) {
    if (said.retry_after_ms) {
      r.retry_after_ms = std::max(r.retry_after_ms, *said.retry_after_ms);
    }
    if (s == 429) {
      message += ": rate limited";
    }
    if (r.retry_after_ms > 0) {
      message += (s == 429 ? ", " : ": ") + std::string("retry after ") + retryText(r.retry_after_ms);
    }
  } else {
    std::string hint = rules.hint ? rules.hint(s) : "";
    if (s == 410) {
      hint = hint.empty() ? "the service asked to stop deliveries" : hint;
    }
    if (!hint.empty()) {
      message += ": " + hint;
    }
  }
  std::string detail = text::singleLine(said.detail);
  if (!detail.empty()) {
    message += " (" + rules.service + " says: " + text::utf8Snippet(detail, kDetailBytes) + ")";
  }
  r.error = text::utf8Snippet(message, kErrorMaxBytes);
  return r;
}

} // namespace bambuddy::common::net
