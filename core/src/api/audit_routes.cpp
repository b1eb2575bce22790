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

bool digits(const std::string& text, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > text.size()) {
    return false;
  }
  out = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

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

std::optional<int64_t> parseUtcTimestamp(const std::string& text) {
  int year, month, day, hour, minute, second;
  if (text.size() < 20 || !digits(text, 0, 4, year) || text[4] != '-' || !digits(text, 5, 2, month) ||
      text[7] != '-' || !digits(text, 8, 2, day) || (text[10] != 'T' && text[10] != 't') ||
      !digits(text, 11, 2, hour) || text[13] != ':' || !digits(text, 14, 2, minute) || text[16] != ':' ||
      !digits(text, 17, 2, second)) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  int64_t millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int scale = 100;
    std::size_t start = pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      millis += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start || pos - start > 9) {
      return std::nullopt;
    }
  }
  const std::string zone = text.substr(pos);
  if (zone != "Z" && zone != "z" && zone != "+00:00") {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const time_t seconds = timegm(&tm);
  if (tm.tm_mday != day) {
    return std::nullopt; // 2024-02-30 rolled over into March
  }
  return static_cast<int64_t>(seconds) * 1000 + millis;
}

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
                    return http::Response::error(400, "invalid_parameter",
                                                 "kind must be one of key_created, key_changed, key_rotated, "
                                                 "key_deleted, auth_failed, forbidden, rate_limited");
                  }
                  filter.kind = *kind;
                }
                for (const char* name : {"since", "until"}) {
                  if (const std::string* text = param(name)) {
                    auto ms = parseUtcTimestamp(*text);
                    if (!ms) {
                      return http::Response::error(
                          400, "invalid_parameter",
                          std::string(name) + " must be an ISO 8601 UTC time such as 2024-01-15T14:30:00Z");
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
