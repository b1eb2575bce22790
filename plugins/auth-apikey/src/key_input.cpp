#include "key_input.h"

#include <bambuddy/cidr.hpp>
#include <bambuddy/date_time.hpp>
#include <bambuddy/permissions.hpp>
#include <bambuddy/sdk.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>

namespace bambuddy::auth_apikey {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const char* code, const std::string& message) {
  throw sdk::Error(BB_ERR_INVALID_ARGUMENT, code, message);
}

// Echoes user text in an error message without letting it run long.
std::string echoed(std::string_view text) {
  constexpr size_t kMax = 64;
  std::string out = "'";
  out += text.size() > kMax ? std::string(text.substr(0, kMax)) + "..." : std::string(text);
  return out + "'";
}

constexpr int64_t kMaxJsonSafeInteger = (int64_t{1} << 53) - 1;

json withCode(json schema, const char* code) {
  schema["x-error-code"] = code;
  return schema;
}

// The host has checked the body against its schema, so it is a JSON object within the limits.
json parseChecked(std::string_view body) {
  json doc = json::parse(body.begin(), body.end(), nullptr, false);
  if (!doc.is_object()) {
    fail("invalid_body", "request body must be a JSON object");
  }
  return doc;
}

std::string parseName(const std::string& raw) {
  size_t begin = raw.find_first_not_of(" \t\r\n");
  size_t end = raw.find_last_not_of(" \t\r\n");
  std::string name = begin == std::string::npos ? std::string() : raw.substr(begin, end - begin + 1);
  if (name.empty()) {
    fail("invalid_name", "name must not be empty");
  }
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    // C0 controls and DEL; C1 controls (U+0080..U+009F) are encoded as C2 80..C2 9F.
    bool control = c < 0x20 || c == 0x7F ||
                   (c == 0xC2 && i + 1 < name.size() && static_cast<unsigned char>(name[i + 1]) < 0xA0);
    if (control) {
      fail("invalid_name", "name must not contain control characters");
    }
  }
  return name;
}

uint64_t parsePermissions(const json& value) {
  uint64_t bits = 0;
  for (const json& item : value) {
    // The schema's enum holds exactly the wire names, so every item maps to a bit.
    bits |= sdk::permissionBit(item.get<std::string>()).value_or(0);
  }
  return bits;
}

std::optional<int64_t> parseExpiry(const json& value, int64_t now_ms) {
  if (value.is_null()) {
    return std::nullopt;
  }
  const std::string& text = value.get_ref<const std::string&>();
  std::string why;
  auto ms = sdk::parseIsoUtc(text, why);
  if (!ms) {
    fail("invalid_expires_at",
         "expires_at " + echoed(text) + ": " + why + "; an ISO 8601 UTC time such as 2025-01-31T00:00:00Z");
  }
  if (*ms <= now_ms) {
    fail("invalid_expires_at", "expires_at must be in the future");
  }
  return ms;
}

std::vector<std::string> parseAllowedIps(const json& value) {
  std::vector<std::string> out;
  if (value.is_null()) {
    return out;
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string& text = value[i].get_ref<const std::string&>();
    std::string why;
    auto cidr = sdk::Cidr::parse(text, &why);
    if (!cidr) {
      fail("invalid_cidr",
           "allowed_ips[" + std::to_string(i) + "] " + echoed(text) + " is not a valid CIDR range: " + why);
    }
    std::string canonical = cidr->str();
    if (std::find(out.begin(), out.end(), canonical) == out.end()) {
      out.push_back(std::move(canonical));
    }
  }
  return out;
}

RateLimits parseRateLimits(const json& value) {
  RateLimits limits;
  if (value.is_null()) {
    return limits;
  }
  for (const auto& [field, v] : value.items()) {
    if (v.is_null()) {
      continue; // the server default
    }
    uint32_t n = v.get<uint32_t>();
    (field == "read" ? limits.read : field == "write" ? limits.write : limits.control) = n;
  }
  return limits;
}

// null = every printer; else distinct positive ids (the schema says so), returned ascending.
std::optional<std::vector<int64_t>> parsePrinterIds(const json& value) {
  if (value.is_null()) {
    return std::nullopt;
  }
  std::vector<int64_t> out = value.get<std::vector<int64_t>>();
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

std::string keyBodySchema(bool creating) {
  json permissions = json::array();
  for (const auto& p : sdk::kPermissions) {
    permissions.push_back(std::string(p.wire));
  }
  json limit = {{"type", {"integer", "null"}},
                {"minimum", 1},
                {"maximum", kMaxRateLimit},
                {"description", "requests per minute; null = the server default"}};
  json body = {
      {"type", "object"},
      {"additionalProperties", false},
      {"properties",
       {{"name", withCode({{"type", "string"},
                           {"minLength", 1},
                           {"maxLength", kMaxNameChars},
                           {"description", "trimmed; not blank, no control characters"}},
                          "invalid_name")},
        {"permissions", withCode({{"type", "array"}, {"items", {{"type", "string"}, {"enum", permissions}}}},
                                 "invalid_permission")},
        {"enabled", withCode({{"type", "boolean"}}, "invalid_enabled")},
        {"expires_at", withCode({{"type", {"string", "null"}},
                                 {"format", "date-time"},
                                 {"description", "an ISO 8601 UTC time in the future; null = never"}},
                                "invalid_expires_at")},
        {"allowed_ips",
         withCode({{"type", {"array", "null"}},
                   {"maxItems", kMaxAllowedIps},
                   {"items", {{"type", "string"}, {"description", "an IPv4/IPv6 address or CIDR range"}}},
                   {"description", "null or empty = any address"}},
                  "invalid_cidr")},
        {"rate_limits", withCode({{"type", {"object", "null"}},
                                  {"additionalProperties", false},
                                  {"properties", {{"read", limit}, {"write", limit}, {"control", limit}}}},
                                 "invalid_rate_limits")},
        {"printer_ids",
         withCode({{"type", {"array", "null"}},
                   // At most 2^53 - 1, so every id survives a JSON client that reads numbers as doubles
                   // (and one beyond int64 never reaches the plugin).
                   {"items", {{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxJsonSafeInteger}}},
                   {"minItems", 1},
                   {"maxItems", kMaxPrinterIds},
                   {"uniqueItems", true},
                   {"description", "null or absent = every printer; not allowed with admin"}},
                  "invalid_printer_ids")}}}};
  if (creating) {
    body["required"] = {"name"};
  }
  return body.dump();
}

std::string rotateBodySchema() {
  json body = {
      {"type", "object"},
      {"additionalProperties", false},
      {"properties",
       {{"grace_period_s",
         withCode({{"type", "integer"},
                   {"minimum", 0},
                   {"maximum", kMaxGracePeriodS},
                   {"description", "seconds the old secret stays valid; absent = the plugin's default"}},
                  "invalid_grace_period")}}}};
  return body.dump();
}

KeyInput parseKeyInput(std::string_view body, int64_t now_ms, bool creating) {
  json doc = parseChecked(body);
  KeyInput in;
  for (const auto& [field, value] : doc.items()) {
    if (field == "name") {
      in.name = parseName(value.get<std::string>());
    } else if (field == "permissions") {
      in.permissions = parsePermissions(value);
    } else if (field == "enabled") {
      in.enabled = value.get<bool>();
    } else if (field == "expires_at") {
      in.expires_at_ms = parseExpiry(value, now_ms);
    } else if (field == "allowed_ips") {
      in.allowed_ips = parseAllowedIps(value);
    } else if (field == "rate_limits") {
      in.rate_limits = parseRateLimits(value);
    } else if (field == "printer_ids") {
      in.printer_ids = parsePrinterIds(value);
    }
  }
  if (creating && !in.name) {
    fail("invalid_name", "name is required"); // the schema requires it; kept for a host that does not check
  }
  return in;
}

int64_t parseGracePeriod(std::string_view body, int64_t default_s) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return default_s;
  }
  return parseChecked(body).value("grace_period_s", default_s);
}

} // namespace bambuddy::auth_apikey
