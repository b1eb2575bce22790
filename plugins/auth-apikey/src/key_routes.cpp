#include "key_routes.h"

#include "audit.h"
#include "key_input.h"

#include <bambuddy/date_time.hpp>
#include <bambuddy/permissions.hpp>

#include <nlohmann/json.hpp>

#include <charconv>

namespace bambuddy::auth_apikey {
namespace {

using nlohmann::json;

// The page's defaults, shown by /auth/me when neither the key nor the host names a limit.
constexpr uint32_t kDefaultReadPerMin = 100;
constexpr uint32_t kDefaultWritePerMin = 30;
constexpr uint32_t kDefaultControlPerMin = 10;

sdk::RouteResponse jsonResponse(int status, const json& body) {
  return {status, body.dump(-1, ' ', false, json::error_handler_t::replace)};
}

std::optional<size_t> parseSize(const std::string& text) {
  size_t out = 0;
  if (text.empty() || text.size() > 12) {
    return std::nullopt;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return out;
}

int64_t keyId(const sdk::RouteRequest& request) {
  std::string text = request.param("id");
  auto id = parseSize(text);
  if (!id || *id == 0) {
    std::string shown = text.size() > 32 ? text.substr(0, 32) + "..." : text;
    throw sdk::Error(BB_ERR_NOT_FOUND, "not_found", "API key '" + shown + "' not found");
  }
  return static_cast<int64_t>(*id);
}

std::vector<std::string> providedFields(const KeyInput& in) {
  std::vector<std::string> out;
  auto add = [&out](bool present, const char* field) {
    if (present) {
      out.emplace_back(field);
    }
  };
  add(in.name.has_value(), "name");
  add(in.permissions.has_value(), "permissions");
  add(in.enabled.has_value(), "enabled");
  add(in.expires_at_ms.has_value(), "expires_at");
  add(in.allowed_ips.has_value(), "allowed_ips");
  add(in.rate_limits.has_value(), "rate_limits");
  add(in.printer_ids.has_value(), "printer_ids");
  return out;
}

// Who did it, for log lines: the principal id only (never a credential).
std::string actor(const sdk::RouteRequest& request) {
  return request.principal.id.empty() ? std::string("unknown caller") : request.principal.id;
}

} // namespace

void KeyRoutes::registerAll() {
  using sdk::RateClass;
  auto bind = [this](sdk::RouteResponse (KeyRoutes::*fn)(const sdk::RouteRequest&)) {
    return [this, fn](const sdk::RouteRequest& r) { return (this->*fn)(r); };
  };
  host_.registerRoute("GET", "/api/v1/api-keys", BB_PERM_ADMIN, RateClass::Read, bind(&KeyRoutes::list));
  host_.registerRoute("POST", "/api/v1/api-keys", BB_PERM_ADMIN, RateClass::Write, {keyBodySchema(true)},
                      bind(&KeyRoutes::create));
  host_.registerRoute("GET", "/api/v1/api-keys/{id}", BB_PERM_ADMIN, RateClass::Read, bind(&KeyRoutes::get));
  host_.registerRoute("PATCH", "/api/v1/api-keys/{id}", BB_PERM_ADMIN, RateClass::Write,
                      {keyBodySchema(false)}, bind(&KeyRoutes::update));
  host_.registerRoute("DELETE", "/api/v1/api-keys/{id}", BB_PERM_ADMIN, RateClass::Write,
                      bind(&KeyRoutes::remove));
  host_.registerRoute("POST", "/api/v1/api-keys/{id}/rotate", BB_PERM_ADMIN, RateClass::Write,
                      {rotateBodySchema(), true}, bind(&KeyRoutes::rotate));
  host_.registerRoute("GET", "/api/v1/auth/me", 0, RateClass::Read, bind(&KeyRoutes::me));
}

sdk::RouteResponse KeyRoutes::list(const sdk::RouteRequest& request) {
  size_t limit = 100;
  size_t offset = 0;
  if (auto it = request.query.find("limit"); it != request.query.end()) {
    auto v = parseSize(it->second);
    if (!v || *v < 1 || *v > 1000) {
      throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_parameter",
                       "limit must be an integer from 1 to 1000");
    }
    limit = *v;
  }
  if (auto it = request.query.find("offset"); it != request.query.end()) {
    auto v = parseSize(it->second);
    if (!v) {
      throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_parameter", "offset must be a non-negative integer");
    }
    offset = *v;
  }
  std::vector<KeyRecord> all = registry_.list(host_.nowMs());
  json items = json::array();
  for (size_t i = offset; i < all.size() && items.size() < limit; ++i) {
    items.push_back(publicJson(all[i]));
  }
  return jsonResponse(200, {{"items", items}, {"total", all.size()}, {"limit", limit}, {"offset", offset}});
}

sdk::RouteResponse KeyRoutes::create(const sdk::RouteRequest& request) {
  int64_t now = host_.nowMs();
  KeyInput input = parseKeyInput(request.body, now, true);
  KeyRegistry::Created created = registry_.create(input, now);
  json body = publicJson(created.record);
  body["key"] = created.key; // the one and only time the full key leaves the plugin
  host_.info("API key " + std::to_string(created.record.id) + " (" + created.record.prefix +
             "...) created by " + actor(request));
  publishAudit(host_, "key_created", request, created.record, providedFields(input), json::object());
  return jsonResponse(201, body);
}

sdk::RouteResponse KeyRoutes::get(const sdk::RouteRequest& request) {
  int64_t id = keyId(request);
  auto record = registry_.get(id, host_.nowMs());
  if (!record) {
    throw sdk::Error(BB_ERR_NOT_FOUND, "not_found", "API key " + std::to_string(id) + " not found");
  }
  return jsonResponse(200, publicJson(*record));
}

sdk::RouteResponse KeyRoutes::update(const sdk::RouteRequest& request) {
  int64_t id = keyId(request);
  int64_t now = host_.nowMs();
  KeyInput input = parseKeyInput(request.body, now, false);
  std::vector<std::string> changes;
  KeyRecord record = registry_.update(id, input, now, changes);
  if (!changes.empty()) {
    std::string list;
    for (const std::string& c : changes) {
      list += (list.empty() ? "" : ", ") + c;
    }
    host_.info("API key " + std::to_string(id) + " changed (" + list + ") by " + actor(request));
    publishAudit(host_, "key_changed", request, record, changes, json::object());
  }
  return jsonResponse(200, publicJson(record));
}

sdk::RouteResponse KeyRoutes::remove(const sdk::RouteRequest& request) {
  int64_t id = keyId(request);
  KeyRecord record = registry_.remove(id, host_.nowMs());
  host_.info("API key " + std::to_string(id) + " (" + record.prefix + "...) deleted by " + actor(request));
  publishAudit(host_, "key_deleted", request, record, {}, json::object());
  return {204, ""};
}

sdk::RouteResponse KeyRoutes::rotate(const sdk::RouteRequest& request) {
  int64_t id = keyId(request);
  int64_t grace_s = parseGracePeriod(request.body, default_grace_s_);
  KeyRegistry::Created created = registry_.rotate(id, grace_s, host_.nowMs());
  json body = publicJson(created.record);
  body["key"] = created.key;
  host_.info("API key " + std::to_string(id) + " rotated by " + actor(request) +
             "; the old key stays valid for " + std::to_string(grace_s) + " s");
  publishAudit(host_, "key_rotated", request, created.record, {"key"}, {{"grace_period_s", grace_s}});
  return jsonResponse(201, body);
}

sdk::RouteResponse KeyRoutes::me(const sdk::RouteRequest& request) {
  const sdk::Principal& p = request.principal;
  std::optional<KeyRecord> record;
  if (p.id.rfind("key:", 0) == 0) {
    if (auto id = parseSize(p.id.substr(4))) {
      record = registry_.get(static_cast<int64_t>(*id), host_.nowMs());
    }
  }
  // Effective limits: what the host put in the principal, else the key's own, else the defaults.
  RateLimits own = record ? record->rate_limits : RateLimits{};
  auto effective = [](uint32_t from_principal, uint32_t from_key, uint32_t fallback) {
    return from_principal != 0 ? from_principal : from_key != 0 ? from_key : fallback;
  };
  json limits = {{"read", effective(p.rate_limit_read, own.read, kDefaultReadPerMin)},
                 {"write", effective(p.rate_limit_write, own.write, kDefaultWritePerMin)},
                 {"control", effective(p.rate_limit_control, own.control, kDefaultControlPerMin)}};
  json body = {{"id", record ? json(record->id) : json(p.id)},
               {"name", record ? record->name : p.display_name},
               {"permissions", sdk::permissionNames(p.permissions)},
               {"rate_limits", limits},
               {"printer_ids", p.printer_ids.empty() ? json(nullptr) : json(p.printer_ids)},
               {"expires_at", record && record->expires_at_ms
                                  ? json(sdk::formatIsoUtcSeconds(*record->expires_at_ms))
                                  : json(nullptr)},
               {"prefix", record ? json(record->prefix) : json(nullptr)}};
  return jsonResponse(200, body);
}

} // namespace bambuddy::auth_apikey
