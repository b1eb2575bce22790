#include "auth/auth_gate.h"
#include "auth/stream_tokens.h"

#include "auth/address_bucket.h"
#include "auth/audit_log.h"
#include "auth/client_ip.h"
#include "common/logger.h"
#include "http/url.h"
#include "plugins/plugin_host.h"
#include "plugins/plugin_instance.h"

#include <algorithm>
#include <bambuddy/abi.h>
#include <bambuddy/permissions.hpp>

#include <nlohmann/json.hpp>

#include <cstring>

namespace bambuddy::auth {

namespace {

constexpr const char* kComponent = "auth";
constexpr const char* kMissingKeyDetail =
    "provide an API key in the X-API-Key header or Authorization: Bearer";
constexpr int64_t kWindowMs = 60000;
// The audit samplers remember at most this many (principal, reason) pairs.
constexpr std::size_t kMaxAuditSampleKeys = 20000;
constexpr std::size_t kMaxLimiterKeys = 100000;

// The first header of that name, without copying its value.
const std::string* findHeader(const http::Request& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (http::equalsIgnoreCase(key, name)) {
      return &value;
    }
  }
  return nullptr;
}

bool isKeyChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

std::string boundedCopy(const char* text, std::size_t capacity) {
  return std::string(text, strnlen(text, capacity));
}

http::Principal toPrincipal(const bb_principal& p) {
  http::Principal out;
  out.id = boundedCopy(p.id, sizeof p.id);
  out.display_name = boundedCopy(p.display_name, sizeof p.display_name);
  out.permissions = p.permissions;
  const uint32_t n =
      p.printer_count > BB_MAX_PRINCIPAL_PRINTERS ? BB_MAX_PRINCIPAL_PRINTERS : p.printer_count;
  out.printer_ids.assign(p.printer_ids, p.printer_ids + n);
  out.rate_limit_read = p.rate_limit_read;
  out.rate_limit_write = p.rate_limit_write;
  out.rate_limit_control = p.rate_limit_control;
  return out;
}

// A rate class the gate can count: public routes never get here, and a protected route declared
// without a class is counted as what its method suggests rather than not at all.
http::RateClass effectiveClass(const http::RouteSpec& route) {
  if (route.rate_class != http::RateClass::None) {
    return route.rate_class;
  }
  return route.method == http::Method::Get || route.method == http::Method::Head ||
                 route.method == http::Method::Options
             ? http::RateClass::Read
             : http::RateClass::Write;
}

} // namespace

void appendRateLimitHeaders(const SlidingWindowLimiter::Decision& d, http::RateClass rate_class,
                            std::vector<std::pair<std::string, std::string>>& headers) {
  const std::string_view name = http::rateClassName(rate_class);
  const std::string limit = std::to_string(d.limit);
  const std::string remaining = std::to_string(d.remaining);
  headers.emplace_back("X-RateLimit-Limit", limit);
  headers.emplace_back("X-RateLimit-Remaining", remaining);
  headers.emplace_back("X-RateLimit-Reset", std::to_string(d.reset_epoch_s));
  std::string policy;
  policy.reserve(32);
  policy.append("\"").append(name).append("\";q=").append(limit).append(";w=60");
  headers.emplace_back("RateLimit-Policy", std::move(policy));
  std::string state;
  state.reserve(32);
  state.append("\"").append(name).append("\";r=").append(remaining).append(";t=").append(
      std::to_string(d.reset_after_s));
  headers.emplace_back("RateLimit", std::move(state));
}

std::string presentedKeyPrefix(const http::Request& request) {
  std::string_view key;
  if (const std::string* header = findHeader(request, "X-API-Key")) {
    key = *header;
  } else if (const std::string* auth = findHeader(request, "Authorization")) {
    std::string_view value = *auth;
    if (value.size() > 7 && http::equalsIgnoreCase(value.substr(0, 7), "bearer ")) {
      key = value.substr(7);
      while (!key.empty() && key.front() == ' ') {
        key.remove_prefix(1);
      }
    }
  }
  if (key.size() < 8 || key.substr(0, 3) != "bb_") {
    return {};
  }
  for (std::size_t i = 3; i < 8; ++i) {
    if (!isKeyChar(key[i])) {
      return {};
    }
  }
  return std::string(key.substr(0, 8));
}

std::vector<std::string> routeTableProblems(const std::vector<http::RouteSpec>& routes) {
  std::vector<std::string> problems;
  for (const auto& r : routes) {
    const std::string what = std::string(http::methodName(r.method)) + " " + r.pattern;
    if (r.permission.empty()) {
      if (r.rate_class != http::RateClass::None) {
        problems.push_back(what + ": public route with rate class '" +
                           std::string(http::rateClassName(r.rate_class)) +
                           "' (public routes are not limited)");
      }
      continue;
    }
    if (r.permission != "authenticated" && !sdk::permissionBit(r.permission)) {
      problems.push_back(what + ": unknown permission '" + r.permission +
                         "' (expected \"authenticated\" or one of " + sdk::permissionList() + ")");
    }
    if (r.rate_class == http::RateClass::None) {
      problems.push_back(what + ": protected route without a rate class");
    }
  }
  return problems;
}

AuthGate::AuthGate(AuthSettings settings, plugins::PluginHost& plugins, AuditLog* audit, Logger& logger,
                   std::function<int64_t()> clock_ms)
    : settings_(std::move(settings)), default_read_(settings_.read_limit),
      default_write_(settings_.write_limit), default_control_(settings_.control_limit), plugins_(plugins),
      audit_(audit), logger_(logger), clock_ms_(std::move(clock_ms)), read_(kWindowMs, kMaxLimiterKeys),
      write_(kWindowMs, kMaxLimiterKeys), control_(kWindowMs, kMaxLimiterKeys),
      failed_auth_(kWindowMs, kMaxLimiterKeys), keyless_(kWindowMs, kMaxLimiterKeys),
      audit_samples_(kWindowMs, kMaxAuditSampleKeys) {}

AuthGate::~AuthGate() = default;

http::RequestGuard AuthGate::guard() {
  return [this](const http::RouteSpec& route, http::Request& request,
                std::vector<std::pair<std::string, std::string>>& extra_headers) {
    return (*this)(route, request, extra_headers);
  };
}

void AuthGate::setDefaultLimits(uint32_t read, uint32_t write, uint32_t control) {
  default_read_.store(read, std::memory_order_relaxed);
  default_write_.store(write, std::memory_order_relaxed);
  default_control_.store(control, std::memory_order_relaxed);
}

void AuthGate::setInstanceShare(uint32_t instances) {
  instances_.store(std::max<uint32_t>(1, instances), std::memory_order_relaxed);
}

uint32_t AuthGate::share(uint32_t limit) const {
  const uint32_t n = instances_.load(std::memory_order_relaxed);
  // Rounded up: a limit of 1 stays 1 on each instance (a little generous) rather than 0 (refusing all).
  return n <= 1 ? limit : static_cast<uint32_t>((uint64_t{limit} + n - 1) / n);
}

uint32_t AuthGate::limitFor(const http::Principal& principal, http::RateClass rate_class) const {
  switch (rate_class) {
  case http::RateClass::Control:
    return share(principal.rate_limit_control != 0 ? principal.rate_limit_control
                                                   : default_control_.load(std::memory_order_relaxed));
  case http::RateClass::Write:
    return share(principal.rate_limit_write != 0 ? principal.rate_limit_write
                                                 : default_write_.load(std::memory_order_relaxed));
  default:
    return share(principal.rate_limit_read != 0 ? principal.rate_limit_read
                                                : default_read_.load(std::memory_order_relaxed));
  }
}

SlidingWindowLimiter& AuthGate::limiterFor(http::RateClass rate_class) {
  switch (rate_class) {
  case http::RateClass::Control:
    return control_;
  case http::RateClass::Write:
    return write_;
  default:
    return read_;
  }
}

void AuthGate::auditSampled(const std::string& sample_key, int64_t now_ms,
                            const std::function<void()>& write) {
  if (audit_ == nullptr) {
    return;
  }
  if (audit_samples_.tryAcquire(sample_key, 1, now_ms).allowed) {
    write();
  }
}

namespace {

// The fields every audit row about a request shares; the caller adds reason, principal and detail.
AuditEntry requestEntry(const char* kind, const http::Request& request, int64_t now_ms) {
  AuditEntry e;
  e.at_ms = now_ms;
  e.kind = kind;
  e.key_prefix = presentedKeyPrefix(request);
  e.client_ip = request.client_ip;
  e.method = std::string(http::methodName(request.method));
  e.path = request.path;
  return e;
}

} // namespace

http::Response AuthGate::refuseAuth(const http::Request& request, int64_t now_ms, Refusal refusal,
                                    const std::string& code, const std::string& detail) {
  const std::string bucket = addressBucket(request.client_ip);
  const bool keyless = refusal == Refusal::NoKey;
  const uint32_t limit = share(keyless ? settings_.keyless_per_minute : settings_.failed_auth_per_minute);
  const SlidingWindowLimiter::Decision budget =
      (keyless ? keyless_ : failed_auth_).tryAcquire(bucket, limit, now_ms);
  if (audit_ != nullptr) {
    AuditEntry e = requestEntry("auth_failed", request, now_ms);
    e.reason = code;
    e.throttled = !budget.allowed;
    audit_->record(std::move(e));
  }
  if (budget.allowed) {
    http::Response response = http::Response::error(401, code, detail);
    response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"bambuddy\"");
    return response;
  }
  const char* limit_name = keyless ? "keyless_limit" : "failed_auth_limit";
  auditSampled(std::string(keyless ? "k" : "i") + "\x1f" + bucket, now_ms, [&] {
    AuditEntry e = requestEntry("rate_limited", request, now_ms);
    e.reason = limit_name;
    e.detail_json = nlohmann::json{{"limit", limit}, {"window_s", 60}}.dump();
    audit_->record(std::move(e));
  });
  const std::string wait = std::to_string(budget.retry_after_s);
  http::Response response = http::Response::error(
      429, "rate_limited",
      keyless ? "too many requests without an API key from this address; send a key, or try again in " +
                    wait + " s"
              : "too many failed authentication attempts from this address; try again in " + wait + " s");
  response.headers.emplace_back("Retry-After", wait);
  return response;
}

std::optional<http::Response> AuthGate::authenticate(const http::RouteSpec& route, http::Request& request,
                                                     int64_t now_ms) {
  const std::string* api_key = findHeader(request, "X-API-Key");
  const std::string* authorization = findHeader(request, "Authorization");
  if (route.accepts_stream_token && stream_tokens_ != nullptr && api_key == nullptr &&
      authorization == nullptr) {
    auto token = request.query.find("token");
    if (token != request.query.end()) {
      if (std::optional<http::Principal> principal = stream_tokens_->redeem(token->second)) {
        request.principal = std::move(principal);
        return std::nullopt;
      }
      return refuseAuth(request, now_ms, Refusal::WrongKey, "invalid_stream_token",
                        "the stream token is unknown, used already or expired; get a new one from "
                        "POST /api/v1/auth/stream-token");
    }
  }
  std::vector<plugins::PluginInstance*> chain = plugins_.instancesOfKind(BB_KIND_AUTH);
  if (chain.empty() && !warned_no_auth_.exchange(true)) {
    logger_.warn(kComponent, "no auth plugin is loaded: every protected route answers 401");
  }

  bb_auth_request auth{};
  auth.struct_size = sizeof auth;
  auth.method = http::methodName(request.method).data(); // literals, so NUL-terminated
  auth.path = request.path.c_str();
  auth.client_ip = request.client_ip.c_str();
  if (api_key != nullptr) {
    auth.api_key_header = api_key->c_str();
    auth.api_key_header_len = api_key->size();
  }
  if (authorization != nullptr) {
    auth.authorization_header = authorization->c_str();
    auth.authorization_header_len = authorization->size();
  }

  bool plugin_failed = false;
  for (plugins::PluginInstance* instance : chain) {
    bb_principal principal;
    bb_error err{};
    err.struct_size = sizeof err;
    int32_t rc = BB_AUTH_NO_CREDENTIALS;
    try {
      rc = instance->authenticate(auth, principal, err);
    } catch (const std::exception& e) {
      plugin_failed = true;
      logger_.error(kComponent, "auth plugin '" + instance->pluginName() + "/" + instance->id() +
                                    "' failed: " + e.what());
      continue;
    }
    if (rc == BB_AUTH_NO_CREDENTIALS) {
      continue;
    }
    if (rc == BB_AUTH_INVALID) {
      std::string code = boundedCopy(err.reason, sizeof err.reason);
      std::string detail = boundedCopy(err.message, sizeof err.message);
      if (code.empty()) {
        code = "invalid_api_key";
      }
      if (detail.empty()) {
        detail = "the API key is not valid";
      }
      return refuseAuth(request, now_ms, Refusal::WrongKey, code, detail);
    }
    // BB_AUTH_OK
    if (principal.id[0] == '\0') {
      plugin_failed = true;
      logger_.error(kComponent,
                    "auth plugin '" + instance->pluginName() + "/" + instance->id() +
                        "' accepted a request without naming the principal; treated as a failure");
      continue;
    }
    request.principal = toPrincipal(principal);
    // Routes (e.g. GET /auth/me) see the limits that actually apply, server defaults included.
    http::Principal& effective = *request.principal;
    effective.rate_limit_read = effective.rate_limit_read != 0
                                    ? effective.rate_limit_read
                                    : default_read_.load(std::memory_order_relaxed);
    effective.rate_limit_write = effective.rate_limit_write != 0
                                     ? effective.rate_limit_write
                                     : default_write_.load(std::memory_order_relaxed);
    effective.rate_limit_control = effective.rate_limit_control != 0
                                       ? effective.rate_limit_control
                                       : default_control_.load(std::memory_order_relaxed);
    return std::nullopt;
  }
  if (plugin_failed) {
    return http::Response::error(503, "auth_unavailable",
                                 "authentication is temporarily unavailable; try again shortly");
  }
  return refuseAuth(request, now_ms, Refusal::NoKey, "missing_api_key", kMissingKeyDetail);
}

std::optional<http::Response>
AuthGate::operator()(const http::RouteSpec& route, http::Request& request,
                     std::vector<std::pair<std::string, std::string>>& extra_headers) {
  if (!settings_.trusted_proxies.empty()) {
    ClientAddress client =
        resolveClientAddress(request.client_ip, request.headers, settings_.trusted_proxies);
    if (client.conflict) {
      // One of the two was passed through from the client unchanged; which one is unknowable.
      return http::Response::error(400, "conflicting_forwarding_headers",
                                   "X-Forwarded-For and Forwarded name different clients; a proxy in "
                                   "server.trusted_proxies should write one of them and drop the other");
    }
    request.client_ip = std::move(client.ip);
  }
  if (route.permission.empty()) {
    return std::nullopt;
  }
  const int64_t now_ms = clock_ms_();

  if (auto refused = authenticate(route, request, now_ms)) {
    return refused;
  }
  const http::Principal& principal = *request.principal;
  served_.store(true, std::memory_order_relaxed);
  const http::RateClass rate_class = effectiveClass(route);
  SlidingWindowLimiter& limiter = limiterFor(rate_class);
  const uint32_t limit = limitFor(principal, rate_class);

  if (route.permission != "authenticated") {
    const std::optional<uint64_t> bit = sdk::permissionBit(route.permission);
    if (!bit) {
      // A route declared with a misspelt permission is a bug; refuse rather than guess.
      logger_.error(kComponent, "route " + route.pattern + " declares unknown permission '" +
                                    route.permission + "'; refusing the request");
      return http::Response::error(500, "internal_error", "the route's permission is misconfigured");
    }
    if (!sdk::permits(principal.permissions, *bit)) {
      auditSampled("f\x1f" + principal.id + "\x1f" + route.permission, now_ms, [&] {
        AuditEntry e = requestEntry("forbidden", request, now_ms);
        e.principal_id = principal.id;
        e.principal_name = principal.display_name;
        e.reason = "missing permission " + route.permission;
        e.detail_json = nlohmann::json{{"required", route.permission}}.dump();
        audit_->record(std::move(e));
      });
      appendRateLimitHeaders(limiter.peek(principal.id, limit, now_ms), rate_class, extra_headers);
      nlohmann::ordered_json body = nlohmann::ordered_json::object();
      body["detail"] = "API key lacks permission '" + route.permission + "'";
      body["code"] = "forbidden";
      body["required"] = route.permission;
      http::Response response;
      response.status = 403;
      response.body = body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
      return response;
    }
  }

  const SlidingWindowLimiter::Decision decision = limiter.tryAcquire(principal.id, limit, now_ms);
  appendRateLimitHeaders(decision, rate_class, extra_headers);
  if (decision.allowed) {
    return std::nullopt;
  }
  const std::string_view class_name = http::rateClassName(rate_class);
  auditSampled("r\x1f" + principal.id + "\x1f" + std::string(class_name), now_ms, [&] {
    AuditEntry e = requestEntry("rate_limited", request, now_ms);
    e.principal_id = principal.id;
    e.principal_name = principal.display_name;
    e.reason = std::string(class_name) + "_limit";
    e.detail_json = nlohmann::json{{"class", class_name}, {"limit", limit}, {"window_s", 60}}.dump();
    audit_->record(std::move(e));
  });
  http::Response response =
      http::Response::error(429, "rate_limited",
                            "rate limit of " + std::to_string(limit) + " requests per minute exceeded for " +
                                std::string(class_name) + " requests");
  response.headers.emplace_back("Retry-After", std::to_string(decision.retry_after_s));
  return response;
}

} // namespace bambuddy::auth
