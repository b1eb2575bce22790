// The JSON bodies of POST /api-keys, PATCH /api-keys/{id} and POST .../rotate: declared once as
// JSON Schemas, which the host checks before a handler runs (and serves in openapi.json), and read
// here. What a schema cannot say (a name without control characters, a time in the future, a valid
// CIDR range) is checked here; every such failure throws sdk::Error(BB_ERR_INVALID_ARGUMENT, code,
// message) naming the field, before anything is changed.
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

// The schema of a key body (`creating`: POST, name required; else PATCH), as JSON text. Each
// property carries the error code its refusals use ("x-error-code").
std::string keyBodySchema(bool creating);
// The schema of the optional rotate body {"grace_period_s": N}.
std::string rotateBodySchema();

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

// Reads a body the host has checked against keyBodySchema(creating). Codes of the checks left to
// it: invalid_name (blank after trimming, control characters), invalid_expires_at (not an ISO 8601
// UTC time, or not after `now_ms`, the host clock), invalid_cidr.
KeyInput parseKeyInput(std::string_view body, int64_t now_ms, bool creating);

// Reads a body checked against rotateBodySchema(); an empty body gives `default_s`.
int64_t parseGracePeriod(std::string_view body, int64_t default_s);

} // namespace bambuddy::auth_apikey
