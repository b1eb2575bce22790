// The request guard of the REST layer: who is calling (auth plugins), may they (permissions), and
// how often (rate limits). Installed with HttpServer::setGuard; runs on worker threads.
//
// Order for every routed request:
//  1. client IP: X-Forwarded-For / Forwarded are believed only from server.trusted_proxies
//     (client_ip.h); request.client_ip is rewritten. When both headers are present and name
//     different clients, every route answers 400 conflicting_forwarding_headers.
//  2. public routes (permission "") pass untouched: no principal, no rate-limit headers.
//  3. on a route that accepts stream tokens (RouteSpec::accepts_stream_token), a request without an
//     API key header that carries `?token=` is authenticated by that token alone (stream_tokens.h):
//     the token's principal, or 401 invalid_stream_token (counted like a refused key).
//     Otherwise the auth chain: every auth plugin instance in load order. NO_CREDENTIALS asks the next one;
//     INVALID refuses with the plugin's reason as "code"; if none accepts, missing_api_key. With no
//     auth plugin loaded at all, every protected route answers 401 missing_api_key (fail closed; a
//     warning is logged once). A plugin error (not a refusal) tries the next instance; if nothing
//     accepts and one errored, 503 auth_unavailable (not counted, not the client's fault).
//     The presented key is always checked, so a valid key is never refused because of what other
//     clients behind the same address did. Refusals are counted per client address (an IPv6
//     address per /64, address_bucket.h) in two separate budgets:
//       - a presented but refused key (INVALID) counts against auth.failed_auth_per_minute; over
//         it, the refusal is 429 rate_limited instead of 401, so guessing is throttled and learns
//         nothing more (a wrong key is refused either way);
//       - a request without any key counts against auth.keyless_per_minute (default 600); over it,
//         keyless requests from that address get 429 until the window clears.
//     Every refusal is audited as auth_failed, aggregated to one row per address and minute
//     (audit_log.h); the first 429 of a minute per address also writes a rate_limited row.
//  4. authorization: "authenticated" needs a valid principal only; otherwise the route's
//     permission, with admin implying all. 403 names the missing permission (audited, at most one
//     row per principal and permission a minute). A 403 does not spend rate budget: the limits
//     count requests the server accepted; the 403 still carries the rate-limit headers.
//  5. rate limit per principal and class (the principal's own limit when non-zero, else the
//     configured default): 429 rate_limited with Retry-After (audited, at most one row per
//     principal and class a minute).
// Cheap and non-blocking (a digest, a table lookup and a few sharded counters): it may run on the
// HTTP reactor thread.
// Every response after step 3 succeeded carries X-RateLimit-Limit/-Remaining/-Reset (Unix seconds)
// and the IETF draft-10 pair RateLimit-Policy: "<class>";q=<limit>;w=60 and
// RateLimit: "<class>";r=<remaining>;t=<seconds until reset>.
// Keys are never logged, echoed or stored; the audit trail gets the 8-character display prefix of
// a presented key that looks like one ("bb_...").
#pragma once

#include "auth/rate_limiter.h"
#include "http/http_types.h"

#include <bambuddy/cidr.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bambuddy {
class Logger;
namespace plugins {
class PluginHost;
}
} // namespace bambuddy

namespace bambuddy::auth {

class AuditLog;
class StreamTokens;

struct AuthSettings {
  uint32_t read_limit = 100;
  uint32_t write_limit = 30;
  uint32_t control_limit = 10;
  uint32_t failed_auth_per_minute = 20; // refused keys per client address (IPv6: /64)
  uint32_t keyless_per_minute = 600;    // requests without a key per client address (IPv6: /64)
  std::vector<sdk::Cidr> trusted_proxies;
};

class AuthGate {
public:
  // `audit` may be null (no audit trail). `clock_ms` gives UTC epoch ms.
  AuthGate(AuthSettings settings, plugins::PluginHost& plugins, AuditLog* audit, Logger& logger,
           std::function<int64_t()> clock_ms);
  ~AuthGate();
  AuthGate(const AuthGate&) = delete;
  AuthGate& operator=(const AuthGate&) = delete;

  std::optional<http::Response> operator()(const http::RouteSpec& route, http::Request& request,
                                           std::vector<std::pair<std::string, std::string>>& extra_headers);

  // A RequestGuard calling this gate (which must outlive the server using it).
  http::RequestGuard guard();

  const AuthSettings& settings() const { return settings_; }

  // Server-wide default limits (requests per 60 s) for keys without their own; takes effect for
  // the next request (the settings API changes them at run time).
  void setDefaultLimits(uint32_t read, uint32_t write, uint32_t control);

  // Several server instances behind one load balancer (cluster.enabled): each enforces its share
  // of every limit, the limit divided by the instances that share the API's traffic (rounded up),
  // so a client spread over them gets the limit in all (docs/adr/0009). 1 (the default): the whole
  // limit here.
  void setInstanceShare(uint32_t instances);
  // Whether a request with a key (or a stream token) got past authentication since the last call.
  bool takeServed() { return served_.exchange(false, std::memory_order_relaxed); }

  // The tokens routes with accepts_stream_token take (null: none, the default). Must outlive the
  // gate; set before the server starts.
  void setStreamTokens(StreamTokens* tokens) { stream_tokens_ = tokens; }

private:
  uint32_t limitFor(const http::Principal& principal, http::RateClass rate_class) const;
  uint32_t share(uint32_t limit) const; // this instance's part of `limit`
  SlidingWindowLimiter& limiterFor(http::RateClass rate_class);
  std::optional<http::Response> authenticate(const http::RouteSpec& route, http::Request& request,
                                             int64_t now_ms);
  enum class Refusal { WrongKey, NoKey };
  http::Response refuseAuth(const http::Request& request, int64_t now_ms, Refusal refusal,
                            const std::string& code, const std::string& detail);
  void auditSampled(const std::string& sample_key, int64_t now_ms, const std::function<void()>& write);

  AuthSettings settings_;
  std::atomic<uint32_t> default_read_;
  std::atomic<uint32_t> default_write_;
  std::atomic<uint32_t> default_control_;
  std::atomic<uint32_t> instances_{1};
  std::atomic<bool> served_{false};
  plugins::PluginHost& plugins_;
  AuditLog* audit_;
  StreamTokens* stream_tokens_ = nullptr;
  Logger& logger_;
  std::function<int64_t()> clock_ms_;
  SlidingWindowLimiter read_;
  SlidingWindowLimiter write_;
  SlidingWindowLimiter control_;
  SlidingWindowLimiter failed_auth_;
  SlidingWindowLimiter keyless_;
  SlidingWindowLimiter audit_samples_;
  std::atomic<bool> warned_no_auth_{false};
};

// The rate-limit headers for a decision of `rate_class` (appended to `headers`).
void appendRateLimitHeaders(const SlidingWindowLimiter::Decision& decision, http::RateClass rate_class,
                            std::vector<std::pair<std::string, std::string>>& headers);

// The display prefix of a presented key (X-API-Key, else Authorization: Bearer): its first 8
// characters when it starts with "bb_" and they are all key characters, else "".
std::string presentedKeyPrefix(const http::Request& request);

// Problems with a route table: a protected route with an unknown permission or without a rate
// class, a public route with a rate class. Empty when every route is properly declared.
std::vector<std::string> routeTableProblems(const std::vector<http::RouteSpec>& routes);

} // namespace bambuddy::auth
