#include "net/guarded_transfer.h"

#include <chrono>

namespace bambuddy::common::net {
namespace {

int64_t steadyMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

} // namespace

GuardedTransfer::GuardedTransfer(const TargetUrl& target, const SsrfPolicy& policy, const char* protocols,
                                 int64_t timeout_ms) {
  const int64_t started = steadyMs();
  GuardResult guard = resolveAndCheck(policy, target.host, target.port);
  if (guard.kind != GuardResult::Kind::Allowed) {
    failure_.refused = guard.kind == GuardResult::Kind::Refused;
    failure_.resolve_failed = guard.kind == GuardResult::Kind::ResolveFailed;
    failure_.error = guard.error;
    return;
  }
  const int64_t remaining_ms = timeout_ms - (steadyMs() - started);
  if (remaining_ms <= 0) {
    failure_.resolve_failed = true;
    failure_.error =
        "resolving '" + target.host + "' used up the whole timeout of " + std::to_string(timeout_ms) + " ms";
    return;
  }
  easy_ = std::make_unique<CurlEasy>();
  pin_ = std::make_unique<ConnectionPin>(target.host, target.port, guard.addresses);
  CURL* h = easy_->get();
  applySafeDefaults(h, protocols);
  pin_->apply(h);
  curl_easy_setopt(h, CURLOPT_URL, target.url.c_str());
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(remaining_ms));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(remaining_ms));
}

CURLcode GuardedTransfer::perform() {
  CURLcode code = curl_easy_perform(easy_->get());
  if (!pin_->strayAddress().empty()) {
    failure_.refused = true;
    failure_.error = "target address " + pin_->strayAddress() +
                     " is refused by the SSRF guard (not among the checked addresses)";
  }
  return code;
}

} // namespace bambuddy::common::net
