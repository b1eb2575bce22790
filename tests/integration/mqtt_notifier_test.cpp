// notifier.mqtt through the real server: a simulated printer's status and its Home Assistant
// device reach a real mosquitto, a test notification is acknowledged there, a pause published to
// the command topic pauses the print (ABI 0.5 printer_command), and deleting the printer clears
// its retained topics.
#include "support/http_client.h"
#include "support/mosquitto_broker.h"
#include "support/mqtt_test_client.h"
#include "support/server_api.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace bambuddy::testing {
namespace mqtt_notifier_test {

using nlohmann::json;

// A fixed key with 256 bits of entropy (the server refuses a weak BAMBUDDY_ADMIN_KEY).
const std::string kAdminKey = "bb_Yc1o0Vq8l6mXr2k3TtW9aZsPdFhJgN4bQeR7uI5yO0c";
constexpr int64_t kWaitMs = 20000;

class MqttNotifierServerTest : public ::testing::Test {
protected:
  void SetUp() override {
    broker_.start();
    observer_ = std::make_unique<MqttTestClient>(
        MqttEndpoint{broker_.uri(), broker_.caFile(), broker_.user(), broker_.password()}, "e2e-observer");
    observer_->connect();
    observer_->subscribe("#", 1);
    json settings = {
        {"host", broker_.host()},      {"port", broker_.port()},     {"tls", true},
        {"ca_file", broker_.caFile()}, {"username", broker_.user()}, {"password", broker_.password()},
        {"client_id", "bb-e2e"},       {"allow_control", true}};
    std::string yaml = "server:\n  listen: 127.0.0.1:0\n"
                       "auth:\n  rate_limits: {read: 100000, write: 100000, control: 100000}\n"
                       "data_dir: " +
                       dir_.file("data") + "\nplugins:\n  search_path: [" + pluginDir() +
                       "]\n  load:\n"
                       "    - name: storage.local\n"
                       "    - name: auth.apikey\n"
                       "    - name: printer.sim\n"
                       "    - name: notifier.mqtt\n"
                       "      instances:\n"
                       "        - id: home-assistant\n"
                       "          name: Home Assistant\n"
                       "          settings: " +
                       settings.dump() + "\n";
    server_ = std::make_unique<ServerProcess>(
        serverBinary(), std::vector<std::string>{"--config", dir_.write("bambuddy.yaml", yaml)},
        std::map<std::string, std::string>{{"BAMBUDDY_ADMIN_KEY", kAdminKey}});
    ASSERT_TRUE(server_->waitReady()) << server_->log();
  }

  void TearDown() override {
    if (server_) {
      server_->stop();
    }
  }

  ApiAnswer api(const std::string& method, const std::string& path, const std::string& body = "") {
    return ServerApi(server_->port(), kAdminKey).call(method, path, body);
  }
  ApiAnswer api(const std::string& method, const std::string& path, const json& body) {
    return api(method, path, body.dump());
  }
  ApiAnswer waitFor(const std::string& path, const std::function<bool(const json&)>& check) {
    return ServerApi(server_->port(), kAdminKey).waitFor(path, check, kWaitMs);
  }

  bool waitLog(const std::string& needle) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaitMs);
    while (server_->log().find(needle) == std::string::npos) {
      if (std::chrono::steady_clock::now() > until) {
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }

  std::optional<MqttTestClient::Message>
  waitMessage(const std::function<bool(const MqttTestClient::Message&)>& match, size_t from = 0) {
    return observer_->waitFor(match, kWaitMs, from);
  }

  MosquittoBroker broker_;
  TempDir dir_;
  std::unique_ptr<MqttTestClient> observer_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(MqttNotifierServerTest, StatusDiscoveryEventsCommandsAndRemoval) {
  ASSERT_TRUE(waitMessage([](const auto& m) {
    return m.topic == "bambuddy/status" && m.payload == "online";
  })) << server_->log();

  ApiAnswer added = api("POST", "/api/v1/printers",
                        json{{"name", "Workshop"},
                             {"driver", "printer.sim"},
                             {"settings", {{"speed", 10}, {"report_interval_ms", 50}}}});
  ASSERT_EQ(added.status, 201) << added.raw;
  const int64_t id = added.body["id"];
  const std::string base = "/api/v1/printers/" + std::to_string(id);
  const std::string status_topic = "bambuddy/printers/" + std::to_string(id) + "/status";
  const std::string node = "bambuddy_bb-e2e_" + std::to_string(id);

  // The status topic carries the REST status body; the HA device is named after the printer.
  auto status = waitMessage([&](const auto& m) {
    return m.topic == status_topic && !m.payload.empty() && json::parse(m.payload)["connected"] == true;
  });
  ASSERT_TRUE(status) << server_->log();
  json body = json::parse(status->payload);
  EXPECT_EQ(body["id"], id);
  EXPECT_EQ(body["name"], "Workshop");
  EXPECT_EQ(body["state"], "idle");
  auto config =
      waitMessage([&](const auto& m) { return m.topic == "homeassistant/sensor/" + node + "/state/config"; });
  ASSERT_TRUE(config);
  EXPECT_EQ(json::parse(config->payload)["device"]["name"], "Workshop");
  EXPECT_TRUE(waitMessage(
      [&](const auto& m) { return m.topic == "homeassistant/button/" + node + "/pause/config"; }));

  // A test notification through the outbox is acknowledged by the broker.
  ApiAnswer providers = api("GET", "/api/v1/notifications");
  ASSERT_EQ(providers.status, 200) << providers.raw;
  int64_t provider = 0;
  for (const json& p : providers.body["items"]) {
    if (p["type"] == "mqtt") {
      provider = p["id"];
    }
  }
  ASSERT_NE(provider, 0) << providers.raw;
  ApiAnswer test = api("POST", "/api/v1/notifications/" + std::to_string(provider) + "/test");
  EXPECT_EQ(test.status, 202) << test.raw;
  auto event = waitMessage([](const auto& m) { return m.topic == "bambuddy/events/test"; });
  ASSERT_TRUE(event);
  EXPECT_EQ(json::parse(event->payload)["event"], "test");

  // A long print, paused from MQTT (the HA button's payload).
  const int64_t archive = ServerApi(server_->port(), kAdminKey).upload("long", 36000, 50.0);
  ASSERT_EQ(api("POST", base + "/print/start", json{{"archive_id", archive}}).status, 202);
  waitFor(base + "/status", [](const json& s) { return s["state"] == "printing"; });
  observer_->publish("bambuddy/printers/" + std::to_string(id) + "/command", "pause", 1);
  waitFor(base + "/status", [](const json& s) { return s["state"] == "paused"; });
  EXPECT_TRUE(waitLog("printer command from plugin instance notifier.mqtt/home-assistant: printer " +
                      std::to_string(id) + " pause"))
      << server_->log();
  EXPECT_TRUE(waitMessage([&](const auto& m) {
    return m.topic == status_topic && !m.payload.empty() && json::parse(m.payload)["state"] == "paused";
  }));
  // A second pause is refused by the registry (409): logged, nothing else happens.
  observer_->publish("bambuddy/printers/" + std::to_string(id) + "/command", "pause", 1);
  EXPECT_TRUE(waitLog("pause of printer " + std::to_string(id) + " from bambuddy/printers/" +
                      std::to_string(id) + "/command refused"))
      << server_->log();

  // Deleting the printer clears its retained topics.
  const size_t mark = observer_->mark();
  ASSERT_EQ(api("DELETE", base).status, 204);
  EXPECT_TRUE(waitMessage([&](const auto& m) { return m.topic == status_topic && m.payload.empty(); }, mark));
  EXPECT_TRUE(waitMessage(
      [&](const auto& m) {
        return m.topic == "homeassistant/sensor/" + node + "/state/config" && m.payload.empty();
      },
      mark));
  EXPECT_EQ(server_->log().find(broker_.password()), std::string::npos) << "the password is never logged";

  // A clean shutdown says "offline".
  const size_t before_stop = observer_->mark();
  EXPECT_EQ(server_->stop(), 0);
  server_.reset();
  EXPECT_TRUE(waitMessage(
      [](const auto& m) { return m.topic == "bambuddy/status" && m.payload == "offline"; }, before_stop));
}

// A server killed with SIGKILL says goodbye to nobody: the broker publishes the plugin's last will,
// so Home Assistant shows every entity unavailable.
TEST_F(MqttNotifierServerTest, AServerKilledWithSigkillIsOfflineByItsLastWill) {
  ASSERT_TRUE(waitMessage([](const auto& m) {
    return m.topic == "bambuddy/status" && m.payload == "online";
  })) << server_->log();
  const size_t before_kill = observer_->mark();
  ASSERT_EQ(::kill(server_->pid(), SIGKILL), 0);
  EXPECT_EQ(server_->waitExit(), -1);
  server_.reset();
  EXPECT_TRUE(waitMessage(
      [](const auto& m) { return m.topic == "bambuddy/status" && m.payload == "offline"; }, before_kill));
}

} // namespace mqtt_notifier_test
} // namespace bambuddy::testing
