// The operator's first day on the shipped default config (config/bambuddy.yaml, run as
// scripts/run does: plugins found next to the binary), with only the data directory and the
// listen address overridden: the documented first steps must work without editing the file. A
// webhook, an ntfy and an e-mail provider are added and each delivers a test notification to a
// real receiver; a Bambu printer is added and shows up (its host is a closed loopback port).
#include "support/http_client.h"
#include "support/http_receiver.h"
#include "support/server_process.h"
#include "support/smtp_sink.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace bambuddy::testing {
namespace first_day_test {

using nlohmann::json;

const std::string kAdminKey = "bb_7BwneWP59LiUr_b-zMMcICk5d7DbTMpk-lJZ1HnTZfc";

// List answers are {"items": [...], "total", "offset"}.
const json& itemsOf(const json& body) {
  return body.contains("items") ? body["items"] : body;
}

struct Answer {
  int status = 0;
  json body;
  std::string raw;
};

class FirstDayTest : public ::testing::Test {
protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(
        serverBinary(),
        std::vector<std::string>{"--config", std::string(SOURCE_DIR) + "/config/bambuddy.yaml"},
        std::map<std::string, std::string>{{"BAMBUDDY_DATA_DIR", dir_.file("data")},
                                           {"BAMBUDDY_LISTEN", "127.0.0.1:0"},
                                           {"BAMBUDDY_ADMIN_KEY", kAdminKey}});
    ASSERT_TRUE(server_->waitReady()) << server_->log();
  }

  Answer api(const std::string& method, const std::string& path, const json& body = nullptr) {
    std::vector<std::pair<std::string, std::string>> headers = {{"X-API-Key", kAdminKey}};
    std::string text;
    if (!body.is_null()) {
      headers.emplace_back("Content-Type", "application/json");
      text = body.dump();
    }
    HttpResult r = httpRequest("127.0.0.1", server_->port(), method, path, text, headers, 15000);
    return Answer{r.status, json::parse(r.body, nullptr, false), r.body};
  }

  // Adds a provider, sends it a test notification (202, then polled) and returns the delivery.
  json addAndTest(const json& provider) {
    Answer created = api("POST", "/api/v1/notifications", provider);
    EXPECT_EQ(created.status, 201) << created.raw;
    if (created.status != 201) {
      return json();
    }
    const std::string id = std::to_string(created.body["id"].get<int64_t>());
    Answer queued = api("POST", "/api/v1/notifications/" + id + "/test");
    EXPECT_EQ(queued.status, 202) << queued.raw;
    if (queued.status != 202) {
      return json();
    }
    const std::string at =
        "/api/v1/notifications/deliveries/" + std::to_string(queued.body["id"].get<int64_t>());
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    Answer last;
    while (std::chrono::steady_clock::now() < until) {
      last = api("GET", at);
      if (last.status == 200 && last.body["attempts"].get<int>() > 0) {
        return last.body;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "test delivery never attempted: " << last.raw;
    return json();
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(FirstDayTest, TheShippedConfigLoadsThePrinterDriverAndEveryNotifier) {
  Answer plugins = api("GET", "/api/v1/plugins");
  ASSERT_EQ(plugins.status, 200) << plugins.raw;
  std::set<std::string> loaded;
  for (const json& p : itemsOf(plugins.body)) {
    loaded.insert(p["name"].get<std::string>());
  }
  for (const char* name : {"storage.local", "auth.apikey", "printer.bambu", "printer.sim"}) {
    EXPECT_EQ(loaded.count(name), 1u) << name << " not loaded: " << plugins.raw;
  }
  const std::vector<std::string> notifiers = {"webhook",  "ntfy",  "email",         "mqtt",
                                              "discord",  "slack", "telegram",      "gotify",
                                              "pushover", "bark",  "homeassistant", "matrix"};
  for (const std::string& type : notifiers) {
    EXPECT_EQ(loaded.count("notifier." + type), 1u) << "notifier." << type << " not loaded: " << plugins.raw;
  }
  Answer types = api("GET", "/api/v1/notifications/types");
  ASSERT_EQ(types.status, 200) << types.raw;
  std::set<std::string> offered;
  for (const json& t : itemsOf(types.body)) {
    offered.insert(t["type"].get<std::string>());
  }
  for (const std::string& type : notifiers) {
    EXPECT_EQ(offered.count(type), 1u) << type << " is not offered: " << types.raw;
  }
}

TEST_F(FirstDayTest, AWebhookAnNtfyAndAnEmailProviderDeliverTheirTest) {
  HttpReceiver hook;
  json webhook = addAndTest({{"type", "webhook"},
                             {"name", "Home Assistant"},
                             {"settings", {{"url", hook.url("/api/webhook/bambuddy")}}}});
  EXPECT_EQ(webhook["status"], "delivered") << webhook.dump();
  ASSERT_TRUE(hook.waitForRequests(1, 5000));
  EXPECT_EQ(hook.requests()[0].path, "/api/webhook/bambuddy");
  EXPECT_TRUE(hook.requests()[0].hasHeader("webhook-signature"));

  HttpReceiver ntfy;
  json pushed = addAndTest({{"type", "ntfy"},
                            {"name", "Phone"},
                            {"settings", {{"server", ntfy.url("")}, {"topic", "farm-alerts"}}}});
  EXPECT_EQ(pushed["status"], "delivered") << pushed.dump();
  ASSERT_TRUE(ntfy.waitForRequests(1, 5000));
  EXPECT_EQ(ntfy.requests()[0].path, "/farm-alerts");

  SmtpSink sink(dir_.path());
  ASSERT_TRUE(sink.start()) << sink.log();
  json mailed = addAndTest({{"type", "email"},
                            {"name", "Workshop mail"},
                            {"settings",
                             {{"smtp_url", "smtp://127.0.0.1:" + std::to_string(sink.port())},
                              {"starttls", "none"},
                              {"from", "bambuddy@farm.test"},
                              {"to", {"operator@farm.test"}}}}});
  EXPECT_EQ(mailed["status"], "delivered") << mailed.dump();
  ASSERT_TRUE(sink.waitForMessages(1, 5000)) << sink.log();
  EXPECT_EQ(sink.messages()[0].rcpt_tos, std::vector<std::string>{"operator@farm.test"});
}

TEST_F(FirstDayTest, ABambuPrinterIsAddedAndListed) {
  Answer added = api(
      "POST", "/api/v1/printers",
      {{"name", "Workshop X1C"},
       {"driver", "printer.bambu"},
       {"settings",
        {{"host", "127.0.0.1"}, {"port", 1}, {"serial", "01S00A123456789"}, {"access_code", "x7Kq29Lm"}}}});
  ASSERT_EQ(added.status, 201) << added.raw;
  EXPECT_EQ(added.raw.find("x7Kq29Lm"), std::string::npos) << "the access code is never shown again";
  const std::string id = std::to_string(added.body["id"].get<int64_t>());
  Answer listed = api("GET", "/api/v1/printers");
  ASSERT_EQ(listed.status, 200) << listed.raw;
  bool found = false;
  for (const json& p : itemsOf(listed.body)) {
    found = found || (std::to_string(p["id"].get<int64_t>()) == id && p["driver"] == "printer.bambu");
  }
  EXPECT_TRUE(found) << listed.raw;
  // Nothing listens on 127.0.0.1:1: the printer is there but offline, and the server carries on.
  Answer status = api("GET", "/api/v1/printers/" + id + "/status");
  EXPECT_EQ(status.status, 200) << status.raw;
  EXPECT_EQ(api("GET", "/health").status, 200);
}

} // namespace first_day_test
} // namespace bambuddy::testing
