// Validation of the JSON bodies of POST /api-keys, PATCH /api-keys/{id} and POST .../rotate.
// Every failure throws sdk::Error(BB_ERR_INVALID_ARGUMENT, code, message) naming the field, before
// anything is changed.
#pragma once

#include "key_record.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bambuddy::auth_apikey {

inline constexpr size_t kMaxNameChars = 100;
inline constexpr size_t kMaxAllowedIps = 64;
inline constexpr uint32_t kMaxRateLimit = 1000000;
inline constexpr int64_t kMaxGracePeriodS = 365 * 86400;

// The fields present in a body; absent ones stay nullopt.
struct KeyInput {
  std::optional<std::string> name; // trimmed
  std::optional<uint64_t> permissions;
  std::optional<bool> enabled;
  std::optional<std::optional<int64_t>> expires_at_ms; // set to nullopt inside = "never expires"
  std::optional<std::vector<std::string>> allowed_ips; // canonical CIDR text
  std::optional<RateLimits> rate_limits;
  std::optional<std::optional<std::vector<int64_t>>> printer_ids; // nullopt inside = every printer
};

// Codes: invalid_json, invalid_body, unknown_field, invalid_name, invalid_permission,
// invalid_enabled, invalid_expires_at, invalid_cidr, invalid_rate_limits, invalid_printer_ids. With
// `creating`, name is required. `now_ms` is the host clock: expires_at must lie after it.
KeyInput parseKeyInput(std::string_view body, int64_t now_ms, bool creating);

// {"grace_period_s": N} or an empty body (then `default_s`). Code invalid_grace_period.
int64_t parseGracePeriod(std::string_view body, int64_t default_s);

} // namespace bambuddy::auth_apikey
