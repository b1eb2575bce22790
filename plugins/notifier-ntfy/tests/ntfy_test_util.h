// Shared fixture for the notifier.ntfy tests: a FakeHost, a real local HTTP receiver standing in
// for the ntfy server, and the plugin created through its real descriptor.
#pragma once

#include "support/http_receiver.h"
#include "support/temp_dir.h"

#include <bambuddy/abi.h>
#include <bambuddy/sdk.hpp>
#include <bambuddy/testing/fake_host.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <memory>
#include <string>

extern "C" const bb_plugin_descriptor* bb_plugin_query(uint32_t host_abi_major, uint32_t host_abi_minor);

namespace bambuddy::notifier_ntfy::test {

using nlohmann::json;

inline const bb_plugin_descriptor* descriptor() {
  return bb_plugin_query(BB_ABI_MAJOR, BB_ABI_MINOR);
}

inline constexpr int64_t kNowMs = 1705329000000;

inline std::string notification(const std::string& event, const json& data,
                                const std::string& id = "evt_n1") {
  return json{{"id", id}, {"event", event}, {"timestamp", "2024-01-15T14:30:00Z"}, {"data", data}}.dump();
}

inline const json kCompleteData = {
    {"printer", "Workshop X1C"}, {"printer_id", 1},     {"filename", "benchy.3mf"}, {"duration", 8100},
    {"filament_used", 45.2},     {"status", "success"}, {"archive_id", 12}};

// Decodes a header made of RFC 2047 "=?UTF-8?B?...?=" words (or plain text) with OpenSSL's
// decoder, independently of the plugin's encoder.
inline std::string decodeHeader(const std::string& value) {
  if (value.rfind("=?UTF-8?B?", 0) != 0) {
    return value;
  }
  std::string out;
  size_t pos = 0;
  while ((pos = value.find("=?UTF-8?B?", pos)) != std::string::npos) {
    size_t end = value.find("?=", pos + 10);
    std::string b64 = value.substr(pos + 10, end - pos - 10);
    std::string bytes(b64.size(), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                            reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
    size_t pad =
        b64.size() >= 2 && b64[b64.size() - 2] == '=' ? 2 : (!b64.empty() && b64.back() == '=' ? 1 : 0);
    out += bytes.substr(0, static_cast<size_t>(n) - pad);
    pos = end + 2;
  }
  return out;
}

using SendOutcome = bambuddy::testing::DeliveryOutcome;

class NtfyTest : public ::testing::Test {
protected:
  NtfyTest() : host_(tmp_.path()) {}

  std::unique_ptr<testing::FakeHost::Instance> create(const json& settings,
                                                      const json& config = json::object()) {
    return host_.create(descriptor(), config.dump(), settings.dump(), "ntfy");
  }

  // The message of the plugin's own refusal (code and reason checked); the settings reach create()
  // as given (FakeHost::createAsGiven), so the checks behind the schema are what is tested.
  std::string refusal(const json& settings, const json& config = json::object(),
                      const char* reason = "invalid_settings") {
    try {
      host_.createAsGiven(descriptor(), config.dump(), settings.dump(), "ntfy");
    } catch (const sdk::Error& e) {
      EXPECT_EQ(e.code(), BB_ERR_INVALID_ARGUMENT) << e.what();
      EXPECT_EQ(e.reason(), reason) << e.what();
      return e.what();
    }
    ADD_FAILURE() << "accepted: " << settings.dump();
    return "";
  }

  SendOutcome send(testing::FakeHost::Instance& instance, const std::string& body, int64_t budget_ms = 5000) {
    return instance.send(body, kNowMs + budget_ms);
  }

  // Settings pointing at the local receiver.
  json local(const std::string& topic = "farm_alerts") const {
    return json{{"server", rx_.url("")}, {"topic", topic}};
  }

  bambuddy::testing::TempDir tmp_;
  bambuddy::testing::FakeHost host_;
  bambuddy::testing::HttpReceiver rx_;
};

} // namespace bambuddy::notifier_ntfy::test
