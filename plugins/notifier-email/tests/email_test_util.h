// Shared fixture for the notifier.email tests: a FakeHost, a real aiosmtpd sink
// (tests/support/smtp_sink.py) and the plugin created through its real descriptor.
#pragma once

#include "support/smtp_sink.h"
#include "support/temp_dir.h"
#include "support/test_cert.h"

#include <bambuddy/abi.h>
#include <bambuddy/sdk.hpp>
#include <bambuddy/testing/fake_host.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>

extern "C" const bb_plugin_descriptor* bb_plugin_query(uint32_t host_abi_major, uint32_t host_abi_minor);

namespace bambuddy::notifier_email::test {

using nlohmann::json;

inline const bb_plugin_descriptor* descriptor() {
  return bb_plugin_query(BB_ABI_MAJOR, BB_ABI_MINOR);
}

inline constexpr int64_t kNowMs = 1705329000000; // Mon, 15 Jan 2024 14:30:00 +0000

inline std::string notification(const std::string& event, const json& data,
                                const std::string& id = "evt_mail1") {
  return json{{"id", id}, {"event", event}, {"timestamp", "2024-01-15T14:30:00Z"}, {"data", data}}.dump();
}

inline const json kCompleteData = {{"printer", "Workshop X1C"}, {"printer_id", 1},
                                   {"filename", "benchy.3mf"},  {"duration", 8100},
                                   {"filament_used", 45.2},     {"status", "success"}};

using SendOutcome = bambuddy::testing::DeliveryOutcome;

class EmailTest : public ::testing::Test {
protected:
  EmailTest() : host_(tmp_.path() + "/instances") {}

  std::unique_ptr<testing::FakeHost::Instance> create(const json& settings,
                                                      const json& config = json::object()) {
    return host_.create(descriptor(), config.dump(), settings.dump(), "mail");
  }

  // The plugin's own refusal (its checks behind the schema: the settings reach create() as given).
  std::string refusal(const json& settings, const json& config = json::object(),
                      const char* reason = "invalid_settings") {
    try {
      host_.createAsGiven(descriptor(), config.dump(), settings.dump(), "mail");
    } catch (const sdk::Error& e) {
      EXPECT_EQ(e.code(), BB_ERR_INVALID_ARGUMENT) << e.what();
      EXPECT_EQ(e.reason(), reason) << e.what();
      return e.what();
    }
    ADD_FAILURE() << "accepted: " << settings.dump();
    return "";
  }

  SendOutcome send(testing::FakeHost::Instance& instance, const std::string& body,
                   int64_t budget_ms = 15000) {
    return instance.send(body, kNowMs + budget_ms);
  }

  // Starts a sink (fails the test when it cannot) and returns it.
  std::unique_ptr<testing::SmtpSink> startSink(testing::SmtpSinkOptions options = {}) {
    auto dir = std::make_unique<testing::TempDir>();
    auto sink = std::make_unique<testing::SmtpSink>(dir->path(), std::move(options));
    sink_dirs_.push_back(std::move(dir));
    EXPECT_TRUE(sink->start()) << sink->log();
    return sink;
  }

  // A certificate for 127.0.0.1/localhost, made once per test.
  const testing::TestCert& cert() {
    if (!cert_) {
      cert_ = std::make_unique<testing::TestCert>(testing::makeSelfSignedCert(tmp_.path(), "smtp"));
      EXPECT_TRUE(cert_->ok()) << cert_->error;
    }
    return *cert_;
  }

  testing::SmtpSinkOptions tlsOptions() {
    testing::SmtpSinkOptions o;
    o.tls_cert = cert().cert_path;
    o.tls_key = cert().key_path;
    return o;
  }

  // Plain SMTP settings for a sink on 127.0.0.1.
  static json plain(uint16_t port) {
    return json{{"smtp_url", "smtp://127.0.0.1:" + std::to_string(port)},
                {"starttls", "none"},
                {"from", "Bambuddy Farm <farm@bambuddy.example>"},
                {"to", {"alice@example.com", "bob@example.org"}}};
  }

  bambuddy::testing::TempDir tmp_;
  bambuddy::testing::FakeHost host_;
  std::vector<std::unique_ptr<testing::TempDir>> sink_dirs_;
  std::unique_ptr<testing::TestCert> cert_;
};

} // namespace bambuddy::notifier_email::test
