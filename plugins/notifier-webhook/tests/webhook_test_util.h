// Shared fixture for the notifier.webhook tests: a FakeHost, a real local HTTP receiver, the plugin
// created through its real descriptor, and a Standard Webhooks verifier written independently of
// the plugin (OpenSSL's one-shot HMAC() and EVP_EncodeBlock, not the plugin's signer or base64).
#pragma once

#include "support/http_receiver.h"
#include "support/temp_dir.h"

#include <bambuddy/abi.h>
#include <bambuddy/sdk.hpp>
#include <bambuddy/testing/fake_host.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

extern "C" const bb_plugin_descriptor* bb_plugin_query(uint32_t host_abi_major, uint32_t host_abi_minor);

namespace bambuddy::notifier_webhook::test {

using nlohmann::json;

inline const bb_plugin_descriptor* descriptor() {
  return bb_plugin_query(BB_ABI_MAJOR, BB_ABI_MINOR);
}

inline constexpr int64_t kNowMs = 1705329000000; // FakeHost's clock: 2024-01-15T14:30:00Z

inline const std::string kNotification =
    R"({"id":"evt_01HMZ3V9X2","event":"print_complete","timestamp":"2024-01-15T14:30:00Z",)"
    R"("data":{"printer":"Workshop X1C","printer_id":1,"filename":"benchy.3mf","duration":8100,)"
    R"("filament_used":45.2,"status":"success","archive_id":12}})";

inline std::string encodeBase64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

inline std::string decodeBase64(const std::string& text) {
  std::string out(text.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  size_t pad =
      text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : (!text.empty() && text.back() == '=' ? 1 : 0);
  out.resize(static_cast<size_t>(n) - pad); // EVP_DecodeBlock counts padding as zero bytes
  return out;
}

// Key bytes derived from a seed, so tests can make distinct secrets.
inline std::string keyBytes(unsigned char seed, size_t length = 32) {
  std::string key;
  for (size_t i = 0; i < length; ++i) {
    key += static_cast<char>(static_cast<unsigned char>(seed * 31 + i * 7));
  }
  return key;
}

inline std::string makeSecret(unsigned char seed, size_t length = 32) {
  return "whsec_" + encodeBase64(keyBytes(seed, length));
}

// The "v1,<base64>" a receiver holding `secret` expects, computed the way a receiver would.
inline std::string expectedSignature(const std::string& secret, const std::string& id,
                                     const std::string& timestamp, const std::string& body) {
  std::string key = decodeBase64(secret.substr(6));
  std::string content = id + "." + timestamp + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &mac_len);
  return "v1," + encodeBase64(std::string(reinterpret_cast<char*>(mac), mac_len));
}

inline std::vector<std::string> splitSpaces(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string word;
  while (in >> word) {
    out.push_back(word);
  }
  return out;
}

using SendOutcome = bambuddy::testing::DeliveryOutcome;

class WebhookTest : public ::testing::Test {
protected:
  WebhookTest() : host_(tmp_.path()) {}

  std::unique_ptr<testing::FakeHost::Instance> create(const json& settings,
                                                      const json& config = json::object()) {
    return host_.create(descriptor(), config.dump(), settings.dump(), "hook");
  }

  // The plugin's own refusal (its checks behind the schema: the settings reach create() as given,
  // FakeHost::createAsGiven): returns the error.
  sdk::Error createError(const json& settings, const json& config = json::object()) {
    try {
      host_.createAsGiven(descriptor(), config.dump(), settings.dump(), "hook");
    } catch (const sdk::Error& e) {
      return e;
    }
    ADD_FAILURE() << "accepted: " << settings.dump();
    return sdk::Error(BB_OK, "", "");
  }

  // One send() through the real ABI entry, with the deadline `budget_ms` after the host's now.
  SendOutcome send(testing::FakeHost::Instance& instance, const std::string& body = kNotification,
                   int64_t budget_ms = 5000) {
    return instance.send(body, now_ms_ + budget_ms);
  }

  json settingsFor(const std::string& path = "/hook") const { return json{{"url", rx_.url(path)}}; }

  // Moves the host's clock (the plugin reads time only through it).
  void setNow(int64_t now_ms) {
    now_ms_ = now_ms;
    host_.setNowMs(now_ms);
  }

  bambuddy::testing::TempDir tmp_;
  bambuddy::testing::FakeHost host_;
  bambuddy::testing::HttpReceiver rx_;
  int64_t now_ms_ = kNowMs;
};

} // namespace bambuddy::notifier_webhook::test
