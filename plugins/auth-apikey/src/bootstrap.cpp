#include "bootstrap.h"

#include "key_codec.h"
#include "secret_file.h"

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>

#include <cmath>
#include <cstdlib>
#include <set>

namespace bambuddy::auth_apikey {
namespace {

// kv documents remembering the digest of every value BAMBUDDY_ADMIN_KEY seeded.
constexpr const char* kSeededPrefix = "bootstrap/";
constexpr const char* kGenerateHint =
    "generate one with: echo bb_$(openssl rand -base64 32 | tr '+/' '-_' | tr -d '=')";

std::string trimmed(const char* text) {
  std::string s(text);
  size_t begin = s.find_first_not_of(" \t\r\n");
  size_t end = s.find_last_not_of(" \t\r\n");
  return begin == std::string::npos ? std::string() : s.substr(begin, end - begin + 1);
}

// Refuses a malformed or weak value without echoing any of it.
void checkEnvironmentKey(std::string& key) {
  if (!isWellFormedKey(key)) {
    OPENSSL_cleanse(key.data(), key.size());
    throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_admin_key",
                     std::string(kAdminKeyEnv) +
                         " is not a well-formed API key: expected 'bb_' followed by 43 base64url characters "
                         "(A-Z, a-z, 0-9, '-', '_'); " +
                         kGenerateHint);
  }
  const double bits = estimatedEntropyBits(std::string_view(key).substr(kKeyPrefix.size()));
  if (bits < kMinAdminKeyEntropyBits) {
    OPENSSL_cleanse(key.data(), key.size());
    throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "weak_admin_key",
                     std::string(kAdminKeyEnv) + " is too weak: it holds at most " +
                         std::to_string(static_cast<int>(bits)) +
                         " bits of entropy (a repeated pattern or few distinct characters), at least 128 "
                         "are needed; " +
                         kGenerateHint);
  }
}

void seedFromEnvironment(const sdk::Host& host, KeyRegistry& registry, std::string key) {
  checkEnvironmentKey(key);
  const Digest digest = digestOf(key);
  const std::string marker = std::string(kSeededPrefix) + toHex(digest);
  const int64_t now = host.nowMs();
  const std::string seeded_doc = nlohmann::json{{"at_ms", now}}.dump();
  if (auto existing = registry.findByDigest(digest, now)) {
    OPENSSL_cleanse(key.data(), key.size());
    bool usable = existing->enabled && (existing->permissions & BB_PERM_ADMIN) != 0 &&
                  (!existing->expires_at_ms || now < *existing->expires_at_ms);
    if (!usable) {
      host.warn("the key in " + std::string(kAdminKeyEnv) + " (API key " + std::to_string(existing->id) +
                ") is disabled, expired or lacks the admin permission; it is left as set through the API");
    }
    if (!host.kvGet(marker)) {
      host.kvPut(marker, seeded_doc); // seeded by a version that kept no marker
    }
    return;
  }
  if (host.kvGet(marker)) {
    OPENSSL_cleanse(key.data(), key.size());
    host.warn("the key in " + std::string(kAdminKeyEnv) +
              " was stored before and has since been deleted or rotated; it is not restored (unset the "
              "variable; a new value seeds an admin key only when none exists)");
    return;
  }
  if (registry.hasUsableAdmin(now)) {
    OPENSSL_cleanse(key.data(), key.size());
    host.info("an admin API key exists: the key in " + std::string(kAdminKeyEnv) +
              " is not stored (the variable only seeds the first admin key)");
    return;
  }
  KeyRecord r = registry.createWithKey(key, "admin", BB_PERM_ADMIN, now);
  OPENSSL_cleanse(key.data(), key.size());
  // After the key: if this write fails, the next start finds the key by digest and writes it then.
  host.kvPut(marker, seeded_doc);
  host.info("stored the admin API key from " + std::string(kAdminKeyEnv) + " as API key " +
            std::to_string(r.id) + " (" + r.prefix + "...)");
}

} // namespace

double estimatedEntropyBits(std::string_view random_part) {
  const size_t n = random_part.size();
  if (n == 0) {
    return 0;
  }
  std::set<char> distinct(random_part.begin(), random_part.end());
  const double by_alphabet = static_cast<double>(n) * std::log2(static_cast<double>(distinct.size()));
  // The shortest period p with random_part[i] == random_part[i + p] for every i.
  size_t period = n;
  for (size_t p = 1; p < n; ++p) {
    bool repeats = true;
    for (size_t i = 0; i + p < n; ++i) {
      if (random_part[i] != random_part[i + p]) {
        repeats = false;
        break;
      }
    }
    if (repeats) {
      period = p;
      break;
    }
  }
  const double by_period = static_cast<double>(period) * 6.0;
  return std::min(by_alphabet, by_period);
}

std::string adminKeyPath(const sdk::Host& host, const PluginConfig& config) {
  if (!config.admin_key_file.empty() && config.admin_key_file.front() == '/') {
    return config.admin_key_file;
  }
  std::string dir = host.serverDataDir();
  if (dir.empty()) {
    dir = host.dataDir();
  }
  if (!dir.empty() && dir.back() != '/') {
    dir += '/';
  }
  return dir + config.admin_key_file;
}

void ensureAdminKey(const sdk::Host& host, KeyRegistry& registry, const PluginConfig& config) {
  const char* env = std::getenv(kAdminKeyEnv);
  if (env != nullptr && *env != '\0') {
    seedFromEnvironment(host, registry, trimmed(env));
  }
  int64_t now = host.nowMs();
  if (registry.hasUsableAdmin(now)) {
    return;
  }
  std::string key = generateKey();
  std::string path = adminKeyPath(host, config);
  // File first: a stored admin key that nobody can read would lock the operator out for good.
  writeSecretFile(path, key + "\n");
  KeyRecord r = registry.createWithKey(key, "admin", BB_PERM_ADMIN, now);
  OPENSSL_cleanse(key.data(), key.size());
  host.warn("no admin API key existed: created API key " + std::to_string(r.id) +
            " 'admin' and wrote it to " + path +
            " (mode 0600); read it from there, store it safely, then "
            "delete the file");
}

} // namespace bambuddy::auth_apikey
