#include "key_input.h"

#include <bambuddy/cidr.hpp>
#include <bambuddy/date_time.hpp>
#include <bambuddy/json_limits.hpp>
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

json parseObject(std::string_view body) {
  // Before parsing: the document is copied and dumped (recursively) afterwards.
  const sdk::JsonLimitCheck limits = sdk::checkJsonLimits(body);
  if (!limits) {
    fail(limits.verdict == sdk::JsonLimitCheck::Verdict::TooDeep ? "json_too_deep" : "json_too_large",
         "request body refused: " + limits.message(body.size()));
  }
  json doc = json::parse(body.begin(), body.end(), nullptr, false);
  if (doc.is_discarded()) {
    fail("invalid_json", "request body is not valid JSON");
  }
  if (!doc.is_object()) {
    fail("invalid_body", "request body must be a JSON object");
  }
  return doc;
}

std::string parseName(const json& value) {
  if (!value.is_string()) {
    fail("invalid_name", "name must be a string");
  }
  const std::string& raw = value.get_ref<const std::string&>();
  size_t begin = raw.find_first_not_of(" \t\r\n");
  size_t end = raw.find_last_not_of(" \t\r\n");
  std::string name = begin == std::string::npos ? std::string() : raw.substr(begin, end - begin + 1);
  if (name.empty()) {
    fail("invalid_name", "name must not be empty");
  }
  size_t chars = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    // C0 controls and DEL; C1 controls (U+0080..U+009F) are encoded as C2 80..C2 9F.
    bool control = c < 0x20 || c == 0x7F ||
                   (c == 0xC2 && i + 1 < name.size() && static_cast<unsigned char>(name[i + 1]) < 0xA0);
    if (control) {
      fail("invalid_name", "name must not contain control characters");
    }
    if ((c & 0xC0) != 0x80) {
      ++chars; // count UTF-8 lead bytes: the parser has already checked the encoding
    }
  }
  if (chars > kMaxNameChars) {
    fail("invalid_name", "name must be at most " + std::to_string(kMaxNameChars) + " characters, got " +
                             std::to_string(chars));
  }
  return name;
}

uint64_t parsePermissions(const json& value) {
  if (!value.is_array()) {
    fail("invalid_permission",
         "permissions must be an array of permission names; valid: " + sdk::permissionList());
  }
  uint64_t bits = 0;
  for (const json& item : value) {
    if (!item.is_string()) {
      fail("invalid_permission", "permissions must contain only strings; valid: " + sdk::permissionList());
    }
    auto bit = sdk::permissionBit(item.get_ref<const std::string&>());
    if (!bit) {
      fail("invalid_permission", "unknown permission " + echoed(item.get_ref<const std::string&>()) +
                                     "; valid: " + sdk::permissionList());
    }
    bits |= *bit;
  }
  return bits;
}

std::optional<int64_t> parseExpiry(const json& value, int64_t now_ms) {
  if (value.is_null()) {
    return std::nullopt;
  }
  if (!value.is_string()) {
    fail("invalid_expires_at", "expires_at must be an ISO 8601 UTC time string or null");
  }
  std::string why;
  auto ms = sdk::parseIsoUtc(value.get_ref<const std::string&>(), why);
  if (!ms) {
    fail("invalid_expires_at", "expires_at " + echoed(value.get_ref<const std::string&>()) + ": " + why +
                                   "; an ISO 8601 UTC time such as 2025-01-31T00:00:00Z");
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
  if (!value.is_array()) {
    fail("invalid_cidr", "allowed_ips must be an array of IPv4/IPv6 addresses or CIDR ranges");
  }
  if (value.size() > kMaxAllowedIps) {
    fail("invalid_cidr", "allowed_ips may hold at most " + std::to_string(kMaxAllowedIps) + " entries");
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const json& item = value[i];
    std::string where = "allowed_ips[" + std::to_string(i) + "]";
    if (!item.is_string()) {
      fail("invalid_cidr", where + " must be a string");
    }
    std::string why;
    auto cidr = sdk::Cidr::parse(item.get_ref<const std::string&>(), &why);
    if (!cidr) {
      fail("invalid_cidr",
           where + " " + echoed(item.get_ref<const std::string&>()) + " is not a valid CIDR range: " + why);
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
  if (!value.is_object()) {
    fail("invalid_rate_limits", "rate_limits must be an object with optional read, write and control");
  }
  for (const auto& [field, v] : value.items()) {
    uint32_t* slot = field == "read"      ? &limits.read
                     : field == "write"   ? &limits.write
                     : field == "control" ? &limits.control
                                          : nullptr;
    if (slot == nullptr) {
      fail("unknown_field",
           "unknown field " + echoed("rate_limits." + field) + "; expected read, write or control");
    }
    if (v.is_null()) {
      continue; // the server default
    }
    bool ok = v.is_number_integer() && v.get<int64_t>() >= 1 && v.get<int64_t>() <= kMaxRateLimit;
    if (!ok) {
      fail("invalid_rate_limits", "rate_limits." + field + " must be an integer from 1 to " +
                                      std::to_string(kMaxRateLimit) + " (requests per minute) or null");
    }
    *slot = static_cast<uint32_t>(v.get<int64_t>());
  }
  return limits;
}

// null = every printer; else 1..kMaxPrinterIds distinct positive ids, returned ascending. An empty
// list is refused: it would read as "no printer", which a key says by lacking printers:* instead.
// Ids of printers that do not exist (yet) are accepted: a removed printer can come back.
std::optional<std::vector<int64_t>> parsePrinterIds(const json& value) {
  if (value.is_null()) {
    return std::nullopt;
  }
  if (!value.is_array()) {
    fail("invalid_printer_ids", "printer_ids must be an array of printer ids, or null for every printer");
  }
  if (value.empty()) {
    fail("invalid_printer_ids", "printer_ids must not be empty; use null for every printer");
  }
  if (value.size() > kMaxPrinterIds) {
    fail("invalid_printer_ids",
         "printer_ids may hold at most " + std::to_string(kMaxPrinterIds) + " printers");
  }
  std::vector<int64_t> out;
  for (size_t i = 0; i < value.size(); ++i) {
    const json& item = value[i];
    std::string where = "printer_ids[" + std::to_string(i) + "]";
    if (!item.is_number_integer() || item.get<int64_t>() <= 0) {
      fail("invalid_printer_ids", where + " must be a positive integer printer id");
    }
    int64_t id = item.get<int64_t>();
    if (std::find(out.begin(), out.end(), id) != out.end()) {
      fail("invalid_printer_ids", where + ": printer " + std::to_string(id) + " is listed twice");
    }
    out.push_back(id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

KeyInput parseKeyInput(std::string_view body, int64_t now_ms, bool creating) {
  json doc = parseObject(body);
  KeyInput in;
  for (const auto& [field, value] : doc.items()) {
    if (field == "name") {
      in.name = parseName(value);
    } else if (field == "permissions") {
      in.permissions = parsePermissions(value);
    } else if (field == "enabled") {
      if (!value.is_boolean()) {
        fail("invalid_enabled", "enabled must be true or false");
      }
      in.enabled = value.get<bool>();
    } else if (field == "expires_at") {
      in.expires_at_ms = parseExpiry(value, now_ms);
    } else if (field == "allowed_ips") {
      in.allowed_ips = parseAllowedIps(value);
    } else if (field == "rate_limits") {
      in.rate_limits = parseRateLimits(value);
    } else if (field == "printer_ids") {
      in.printer_ids = parsePrinterIds(value);
    } else {
      fail("unknown_field",
           "unknown field " + echoed(field) +
               "; expected name, permissions, enabled, expires_at, allowed_ips, rate_limits or printer_ids");
    }
  }
  if (creating && !in.name) {
    fail("invalid_name", "name is required");
  }
  return in;
}

int64_t parseGracePeriod(std::string_view body, int64_t default_s) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return default_s;
  }
  json doc = parseObject(body);
  int64_t grace = default_s;
  for (const auto& [field, value] : doc.items()) {
    if (field != "grace_period_s") {
      fail("unknown_field", "unknown field " + echoed(field) + "; expected grace_period_s");
    }
    if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > kMaxGracePeriodS) {
      fail("invalid_grace_period",
           "grace_period_s must be an integer from 0 to " + std::to_string(kMaxGracePeriodS) + " (seconds)");
    }
    grace = value.get<int64_t>();
  }
  return grace;
}

} // namespace bambuddy::auth_apikey
