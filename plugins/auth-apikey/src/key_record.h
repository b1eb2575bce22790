// One API key as stored (one kv document "key/<id>") and as served by the REST API.
#pragma once

#include "key_codec.h"

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bambuddy::auth_apikey {

// A key names at most this many printers: what a principal can carry (BB_MAX_PRINCIPAL_PRINTERS).
inline constexpr size_t kMaxPrinterIds = 64;

// Requests per 60 s for each rate class; 0 = the server's default.
struct RateLimits {
  uint32_t read = 0;
  uint32_t write = 0;
  uint32_t control = 0;
  bool operator==(const RateLimits& o) const {
    return read == o.read && write == o.write && control == o.control;
  }
};

// The stored state of a key. It holds the SHA-256 digest of the key, never the key itself.
struct KeyRecord {
  int64_t id = 0;
  std::string name;
  Digest digest{};
  std::string prefix; // first 8 characters of the key ("bb_AbCdE")
  std::string last4;  // last 4 characters
  uint64_t permissions = 0;
  bool enabled = true;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  std::optional<int64_t> expires_at_ms;
  std::vector<std::string> allowed_ips; // canonical CIDR text; empty = any address
  RateLimits rate_limits;
  // The printers the key may see and control, ascending; nullopt = every printer. Never empty.
  std::optional<std::vector<int64_t>> printer_ids;
  std::optional<int64_t> last_used_at_ms;
  std::string last_used_ip;
  uint64_t request_count = 0;
  // After a rotation the old key stays valid until previous_valid_until_ms (grace period).
  std::optional<Digest> previous_digest;
  int64_t previous_valid_until_ms = 0;
};

// The kv key of a record: "key/<id>".
std::string recordKvKey(int64_t id);

// The stored document. Times are ISO 8601 UTC with milliseconds; the digest is lower-case hex.
std::string storedDocument(const KeyRecord& record);
// Parses a stored document; throws std::exception on a malformed one.
KeyRecord recordFromDocument(const std::string& json);

// The record as the REST API shows it (no digest, no key).
nlohmann::json publicJson(const KeyRecord& record);

// printer_ids for documents and responses: the ids, or null for every printer.
nlohmann::json printerIdsJson(const std::optional<std::vector<int64_t>>& ids);

// rate_limits for responses: {"read": N|null, "write": ..., "control": ...} (null = server default).
nlohmann::json rateLimitsJson(const RateLimits& limits);

} // namespace bambuddy::auth_apikey
