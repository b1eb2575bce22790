#include "api/audit_routes.h"

#include "api/pagination.h"
#include "auth/audit_log.h"
#include "common/time.h"
#include "http/router.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <ctime>

namespace bambuddy::api {

namespace {

nlohmann::json orNull(const std::string& text) {
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

nlohmann::json toJson(const auth::AuditEntry& e) {
  nlohmann::json detail = nullptr;
  if (!e.detail_json.empty()) {
    detail = nlohmann::json::parse(e.detail_json, nullptr, false);
    if (detail.is_discarded()) {
      detail = nullptr;
    }
  }
  return {{"id", e.id},
          {"at", formatUtcMs(e.at_ms)},
          {"kind", e.kind},
          {"principal_id", orNull(e.principal_id)},
          {"principal_name", orNull(e.principal_name)},
          {"key_prefix", orNull(e.key_prefix)},
          {"client_ip", orNull(e.client_ip)},
          {"method", orNull(e.method)},
          {"path", orNull(e.path)},
          {"reason", orNull(e.reason)},
          {"detail", detail}};
}

} // namespace

void addAuditRoutes(http::Router& router, const auth::AuditLog& audit) {
  router.add({http::Method::Get, "/api/v1/audit", "admin", http::RateClass::Read,
              "Audit trail: key changes, authentication failures, 403 and 429",
              [&audit](const http::Request& request) {
                http::Response error;
                auto page = parsePage(request, error);
                if (!page) {
                  return error;
                }
                auth::AuditFilter filter;
                filter.limit = page->limit;
                filter.offset = page->offset;
                auto param = [&request](const char* name) -> const std::string* {
                  auto it = request.query.find(name);
                  return it == request.query.end() ? nullptr : &it->second;
                };
                if (const std::string* kind = param("kind")) {
                  if (!auth::isAuditKind(*kind)) {
                    std::string kinds;
                    for (std::string_view k : auth::kAuditKinds) {
                      kinds += (kinds.empty() ? "" : ", ") + std::string(k);
                    }
                    return http::Response::error(400, "invalid_parameter", "kind must be one of " + kinds);
                  }
                  filter.kind = *kind;
                }
                for (const char* name : {"since", "until"}) {
                  if (const std::string* text = param(name)) {
                    std::string why;
                    auto ms = parseUtcTimestamp(*text, why);
                    if (!ms) {
                      return http::Response::error(400, "invalid_parameter",
                                                   std::string(name) + ": " + why +
                                                       "; an ISO 8601 UTC time such as 2024-01-15T14:30:00Z");
                    }
                    (std::string(name) == "since" ? filter.since_ms : filter.until_ms) = *ms;
                  }
                }
                if (const std::string* id = param("principal_id")) {
                  filter.principal_id = *id;
                }
                if (const std::string* ip = param("client_ip")) {
                  filter.client_ip = *ip;
                }
                auth::AuditPage result = audit.list(filter);
                nlohmann::json items = nlohmann::json::array();
                for (const auto& e : result.items) {
                  items.push_back(toJson(e));
                }
                return http::Response::json(200, {{"items", std::move(items)},
                                                  {"total", result.total},
                                                  {"limit", page->limit},
                                                  {"offset", page->offset}});
              }});
}

} // namespace bambuddy::api
