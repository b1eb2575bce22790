// The first admin key: from BAMBUDDY_ADMIN_KEY, or generated and written to a 0600 file.
#pragma once

#include "key_registry.h"
#include "plugin_config.h"

#include <bambuddy/sdk.hpp>

#include <string>
#include <string_view>

namespace bambuddy::auth_apikey {

inline constexpr const char* kAdminKeyEnv = "BAMBUDDY_ADMIN_KEY";

// Runs once at instance creation:
//  - BAMBUDDY_ADMIN_KEY set (non-empty): it must be a well-formed key, else creation fails with
//    BB_ERR_INVALID_ARGUMENT "invalid_admin_key", and carry at least 128 bits of entropy
//    (estimatedEntropyBits), else "weak_admin_key" (the server exits 2; the value is never
//    echoed). It is stored as key "admin" with the admin permission only when no enabled,
//    unexpired admin key exists and this value was never seeded before: the digest of every
//    seeded value is remembered (kv "bootstrap/<digest>"), so a bootstrap key that was deleted or
//    rotated through the API does not come back at the next start (a warning says it is ignored).
//    A stored key with its digest is left as the API last set it (a warning says so if it is not a
//    usable admin key): the API owns existing keys, the variable only seeds.
//  - then, when no enabled, unexpired admin key exists: a new key "admin" is generated, written to
//    the admin key file (config admin_key_file, relative to the server data directory) with mode
//    0600, and only then stored. The log names the path, never the key.
void ensureAdminKey(const sdk::Host& host, KeyRegistry& registry, const PluginConfig& config);

// An upper bound of the entropy of a key's random part (after "bb_"), in bits: n characters drawn
// from k distinct symbols carry at most n*log2(k) bits, and a text repeating with period p at most
// p*6 bits (base64url). A random 43-character key scores about 210; "bb_AAAA..." scores 0.
double estimatedEntropyBits(std::string_view random_part);
inline constexpr double kMinAdminKeyEntropyBits = 128;

// Where the bootstrap file goes: `admin_key_file` if absolute, else below the server data
// directory (the instance data directory on hosts that do not provide one).
std::string adminKeyPath(const sdk::Host& host, const PluginConfig& config);

} // namespace bambuddy::auth_apikey
