// A GoogleTest fixture for notifier plugin tests (header-only; installed with the SDK's "testing"
// component as "testing/notifier_fixture.h", BambuddySDK::plugin_testing): a FakeHost, a real
// HTTP receiver on 127.0.0.1 port 0 standing in for the service, and the plugin under test created
// through its real descriptor (the test binary links the plugin's own bb_plugin_query).
#pragma once

#include "support/http_receiver.h"
#include "support/temp_dir.h"

#include <bambuddy/abi.h>
#include <bambuddy/sdk.hpp>
#include <bambuddy/testing/fake_host.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>

extern "C" const bb_plugin_descriptor* bb_plugin_query(uint32_t host_abi_major, uint32_t host_abi_minor);

namespace bambuddy::common::testing {

inline constexpr int64_t kNowMs = 1705329000000; // FakeHost's clock: 2024-01-15T14:30:00Z

inline std::string notification(const std::string& event, const nlohmann::json& data,
                                const std::string& id = "evt_n1") {
  return nlohmann::json{{"id", id}, {"event", event}, {"timestamp", "2024-01-15T14:30:00Z"}, {"data", data}}
      .dump();
}

inline const nlohmann::json kCompleteData = {
    {"printer", "Workshop X1C"}, {"printer_id", 1},     {"filename", "benchy.3mf"}, {"duration", 8100},
    {"filament_used", 45.2},     {"status", "success"}, {"archive_id", 12}};

class NotifierFixture : public ::testing::Test {
protected:
  using json = nlohmann::json;
  using SendOutcome = bambuddy::testing::DeliveryOutcome;

  NotifierFixture() : host_(tmp_.path()) {}

  static const bb_plugin_descriptor* descriptor() { return bb_plugin_query(BB_ABI_MAJOR, BB_ABI_MINOR); }

  // Created as the server would: checked against the schemas, defaults filled in (FakeHost::create).
  std::unique_ptr<bambuddy::testing::FakeHost::Instance> create(const json& settings,
                                                                const json& config = json::object()) {
    return host_.create(descriptor(), config.dump(), settings.dump(), "provider");
  }

  // The message of a refused creation by the plugin itself (its checks behind the schema: the
  // settings reach create() as given, FakeHost::createAsGiven); the code and reason are checked.
  std::string refusal(const json& settings, const json& config = json::object(),
                      const char* reason = "invalid_settings") {
    try {
      host_.createAsGiven(descriptor(), config.dump(), settings.dump(), "provider");
    } catch (const sdk::Error& e) {
      EXPECT_EQ(e.code(), BB_ERR_INVALID_ARGUMENT) << e.what();
      EXPECT_EQ(e.reason(), reason) << e.what();
      return e.what();
    }
    ADD_FAILURE() << "accepted: " << settings.dump();
    return "";
  }

  // One send() through the real ABI entry, the deadline `budget_ms` after the host's now.
  SendOutcome send(bambuddy::testing::FakeHost::Instance& instance, const std::string& body,
                   int64_t budget_ms = 5000) {
    return instance.send(body, kNowMs + budget_ms);
  }

  // The only request the receiver got (fails the test when there is not exactly one).
  bambuddy::testing::ReceivedRequest onlyRequest() const {
    EXPECT_TRUE(rx_.waitForRequests(1, 5000));
    auto all = rx_.requests();
    EXPECT_EQ(all.size(), 1u);
    return all.empty() ? bambuddy::testing::ReceivedRequest{} : all.back();
  }

  // preview() of a malformed notification is BB_ERR_INVALID_ARGUMENT "invalid_notification", and
  // nothing reaches the service.
  void expectMalformedPreviewRefused(bambuddy::testing::FakeHost::Instance& instance,
                                     const std::string& malformed = R"({"id":"e1"})") {
    bambuddy::testing::PreviewOutcome p = instance.preview(malformed);
    EXPECT_EQ(p.rc, BB_ERR_INVALID_ARGUMENT) << malformed;
    EXPECT_EQ(p.reason, "invalid_notification") << malformed;
    EXPECT_EQ(rx_.requestCount(), 0u);
  }

  // For a type whose service takes no files: send_with_attachments() with an image sends exactly
  // what send() sends (the receiver must answer both with success).
  void expectImagesIgnored(bambuddy::testing::FakeHost::Instance& instance, const std::string& body) {
    ASSERT_EQ(send(instance, body).result.outcome, BB_DELIVERY_DELIVERED);
    bambuddy::testing::TestAttachment image;
    image.data = "\x89PNG";
    ASSERT_EQ(instance.sendWithAttachments(body, {image}, kNowMs + 5000).result.outcome,
              BB_DELIVERY_DELIVERED);
    ASSERT_TRUE(rx_.waitForRequests(2, 5000));
    auto reqs = rx_.requests();
    EXPECT_EQ(reqs[1].header("content-type"), reqs[0].header("content-type"));
    EXPECT_EQ(reqs[1].body, reqs[0].body);
  }

  // True when no log line contains `secret`.
  bool neverLogged(const std::string& secret) const {
    for (const auto& line : host_.logs()) {
      if (line.message.find(secret) != std::string::npos) {
        return false;
      }
    }
    return true;
  }

  bambuddy::testing::TempDir tmp_;
  bambuddy::testing::FakeHost host_;
  bambuddy::testing::HttpReceiver rx_;
};

} // namespace bambuddy::common::testing
