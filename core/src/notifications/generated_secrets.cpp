#include "notifications/generated_secrets.h"

#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace bambuddy::notifications {

namespace {

const nlohmann::json* properties(const nlohmann::json& schema) {
  if (!schema.is_object()) {
    return nullptr;
  }
  auto it = schema.find("properties");
  return it != schema.end() && it->is_object() ? &*it : nullptr;
}

void randomBytes(unsigned char* out, int n) {
  if (RAND_bytes(out, n) != 1) {
    throw std::runtime_error("the system random generator failed");
  }
}

} // namespace

std::vector<std::string> generatedSecretFields(const std::string& schema_text, const std::string& type) {
  nlohmann::json schema = nlohmann::json::parse(schema_text, nullptr, false);
  const nlohmann::json* props = properties(schema);
  std::vector<std::string> out;
  if (props == nullptr) {
    return out;
  }
  for (auto it = props->begin(); it != props->end(); ++it) {
    if (it->is_object() && it->value("x-bambuddy-generate", nlohmann::json()) == "whsec") {
      out.push_back(it.key());
    }
  }
  if (out.empty() && type == "webhook" && props->contains("secret")) {
    out.push_back("secret");
  }
  return out;
}

bool schemaHasProperty(const std::string& schema_text, const std::string& name) {
  nlohmann::json schema = nlohmann::json::parse(schema_text, nullptr, false);
  const nlohmann::json* props = properties(schema);
  return props != nullptr && props->contains(name);
}

std::string generateWebhookSecret() {
  unsigned char key[32];
  randomBytes(key, sizeof key);
  unsigned char encoded[4 * ((sizeof key + 2) / 3) + 1];
  const int n = EVP_EncodeBlock(encoded, key, sizeof key);
  OPENSSL_cleanse(key, sizeof key);
  std::string out = "whsec_" + std::string(reinterpret_cast<const char*>(encoded), static_cast<size_t>(n));
  OPENSSL_cleanse(encoded, sizeof encoded);
  return out;
}

std::string newEventId() {
  unsigned char raw[12];
  randomBytes(raw, sizeof raw);
  static const char* kHex = "0123456789abcdef";
  std::string out = "evt_";
  for (unsigned char b : raw) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

} // namespace bambuddy::notifications
