#include "bootstrap.h"

#include "key_codec.h"
#include "secret_file.h"

#include <openssl/crypto.h>

#include <cstdlib>

namespace bambuddy::auth_apikey {
namespace {

std::string trimmed(const char* text) {
  std::string s(text);
  size_t begin = s.find_first_not_of(" \t\r\n");
  size_t end = s.find_last_not_of(" \t\r\n");
  return begin == std::string::npos ? std::string() : s.substr(begin, end - begin + 1);
}

void seedFromEnvironment(const sdk::Host& host, KeyRegistry& registry, std::string key) {
  if (!isWellFormedKey(key)) {
    OPENSSL_cleanse(key.data(), key.size());
    throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_admin_key",
                     std::string(kAdminKeyEnv) +
                         " is not a well-formed API key: expected 'bb_' followed by 43 base64url characters "
                         "(A-Z, a-z, 0-9, '-', '_'); generate one with: "
                         "echo bb_$(openssl rand -base64 32 | tr '+/' '-_' | tr -d '=')");
  }
  int64_t now = host.nowMs();
  auto existing = registry.findByDigest(digestOf(key), now);
  if (existing) {
    bool usable = existing->enabled && (existing->permissions & BB_PERM_ADMIN) != 0 &&
                  (!existing->expires_at_ms || now < *existing->expires_at_ms);
    if (!usable) {
      host.warn("the key in " + std::string(kAdminKeyEnv) + " (API key " + std::to_string(existing->id) +
                ") is disabled, expired or lacks the admin permission; it is left as set through the API");
    }
  } else {
    KeyRecord r = registry.createWithKey(key, "admin", BB_PERM_ADMIN, now);
    host.info("stored the admin API key from " + std::string(kAdminKeyEnv) + " as API key " +
              std::to_string(r.id) + " (" + r.prefix + "...)");
  }
  OPENSSL_cleanse(key.data(), key.size());
}

} // namespace

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
    return;
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
