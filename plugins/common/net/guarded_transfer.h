// A curl transfer that can only reach what the SSRF guard allowed: the target host is resolved
// and every address checked first; only then is an easy handle made, with the safe defaults, the
// connection pinned to the checked addresses and the time left of the attempt as its timeout.
// Shared by the HTTP attempt (webhook, ntfy) and the SMTP attempt (e-mail).
#pragma once

#include "net/curl_handle.h"
#include "net/ssrf_guard.h"
#include "net/target_url.h"

#include <curl/curl.h>

#include <cstdint>
#include <memory>
#include <string>

namespace bambuddy::common::net {

// Why a transfer did not (or must not count to) reach its target.
struct GuardFailure {
  bool refused = false;        // an address is refused: Permanent
  bool resolve_failed = false; // no address now (or no time left after resolving): Retryable
  std::string error;
  bool any() const { return refused || resolve_failed; }
};

class GuardedTransfer {
public:
  // `protocols` as for CURLOPT_PROTOCOLS_STR ("http,https"). `timeout_ms` bounds the whole attempt,
  // resolution included.
  GuardedTransfer(const TargetUrl& target, const SsrfPolicy& policy, const char* protocols,
                  int64_t timeout_ms);
  GuardedTransfer(const GuardedTransfer&) = delete;
  GuardedTransfer& operator=(const GuardedTransfer&) = delete;

  // False when the guard stopped the transfer before any connection (see failure()).
  bool ready() const { return easy_ != nullptr; }
  const GuardFailure& failure() const { return failure_; }
  // Only when ready().
  CURL* handle() const { return easy_->get(); }

  // Runs the transfer. If curl tried an address the guard did not check, failure() says so.
  CURLcode perform();
  std::string errorText(CURLcode code) const { return easy_->errorText(code); }

private:
  GuardFailure failure_;
  std::unique_ptr<CurlEasy> easy_;
  std::unique_ptr<ConnectionPin> pin_;
};

} // namespace bambuddy::common::net
