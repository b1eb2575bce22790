#include "api_key_auth.h"

#include "bootstrap.h"
#include "key_codec.h"

#include <nlohmann/json.hpp>

namespace bambuddy::auth_apikey {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] + 32) : b[i];
    if (x != y) {
      return false;
    }
  }
  return true;
}

// The presented key, or an empty view when the request carries none meant for this plugin.
std::string_view presentedKey(const sdk::AuthRequest& request) {
  if (request.api_key) {
    std::string_view key = trim(*request.api_key);
    if (!key.empty()) {
      return key; // X-API-Key wins over Authorization
    }
  }
  if (request.authorization) {
    std::string_view value = trim(*request.authorization);
    size_t space = value.find_first_of(" \t");
    if (space != std::string_view::npos && equalsIgnoreCase(value.substr(0, space), "bearer")) {
      std::string_view token = trim(value.substr(space + 1));
      // Other Bearer tokens (e.g. a JWT) belong to other authenticators.
      if (token.substr(0, kKeyPrefix.size()) == kKeyPrefix) {
        return token;
      }
    }
  }
  return {};
}

sdk::AuthResult refuse(const char* reason, std::string message) {
  sdk::AuthResult r;
  r.outcome = sdk::AuthResult::Outcome::Invalid;
  r.reason = reason;
  r.message = std::move(message);
  return r;
}

} // namespace

ApiKeyAuth::ApiKeyAuth(sdk::Host host, const std::string& config_json, const std::string& settings_json)
    : host_(std::move(host)), config_(parsePluginConfig(config_json)), registry_(host_),
      routes_(host_, registry_, config_.default_grace_period_s) {
  checkInstanceSettings(settings_json);
  ensureAdminKey(host_, registry_, config_);
  // Last among the steps that can fail except the thread start: a route must never outlive a
  // half-built instance.
  routes_.registerAll();
  usage_writer_ = std::make_unique<PeriodicTask>(config_.usage_flush_interval_ms,
                                                 [this] { registry_.flushUsage(host_.nowMs()); });
  // With several server instances on one database, a key created, changed, rotated or deleted on
  // another instance must count here within a second, a deleted one above all.
  try {
    kv_subscription_ = host_.subscribe("kv_changed", [this](const sdk::Event& event) {
      const nlohmann::json payload = nlohmann::json::parse(event.payload_json, nullptr, false);
      const std::string ns = payload.is_object() ? payload.value("namespace", "") : "";
      if (ns == kName || ns == "*") {
        registry_.reload();
      }
    });
  } catch (const sdk::Error& e) {
    host_.warn(
        std::string("kv_changed not available, keys change on other instances only after a restart: ") +
        e.what());
  }
  host_.info("auth.apikey ready: " + std::to_string(registry_.size()) + " API key(s), usage saved every " +
             std::to_string(config_.usage_flush_interval_ms) + " ms");
}

ApiKeyAuth::~ApiKeyAuth() {
  if (kv_subscription_ != 0) {
    try {
      host_.unsubscribe(kv_subscription_);
    } catch (...) {
      // the host drops the subscription with the instance anyway
    }
  }
  usage_writer_.reset();
  try {
    registry_.flushUsage(host_.nowMs()); // the final save on shutdown
  } catch (...) {
    // A destructor must not throw; flushUsage already logs what it could not save.
  }
}

sdk::AuthResult ApiKeyAuth::authenticate(const sdk::AuthRequest& request) {
  std::string_view key = presentedKey(request);
  if (key.empty()) {
    return {};
  }
  if (!isWellFormedKey(key)) {
    return refuse("invalid_api_key", "invalid API key");
  }
  sdk::AuthResult result;
  switch (registry_.check(digestOf(key), request.client_ip, host_.nowMs(), result.principal)) {
  case KeyCheck::Ok:
    result.outcome = sdk::AuthResult::Outcome::Ok;
    return result;
  case KeyCheck::Unknown:
    return refuse("invalid_api_key", "invalid API key");
  case KeyCheck::Disabled:
    return refuse("api_key_disabled", "this API key is disabled");
  case KeyCheck::Expired:
    return refuse("api_key_expired", "this API key has expired");
  case KeyCheck::IpNotAllowed:
    return refuse("ip_not_allowed", "this API key may not be used from " + std::string(request.client_ip));
  }
  return refuse("invalid_api_key", "invalid API key");
}

} // namespace bambuddy::auth_apikey
