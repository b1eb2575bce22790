// Shared fixture for the notifier.mqtt tests: a real mosquitto (TLS + password, loopback only),
// a FakeHost, the plugin created through its real descriptor, and an observing Paho client.
#pragma once

#include "support/child_process.h"
#include "support/mosquitto_broker.h"
#include "support/mqtt_test_client.h"
#include "support/temp_dir.h"

#include <bambuddy/abi.h>
#include <bambuddy/sdk.hpp>
#include <bambuddy/testing/fake_host.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

extern "C" const bb_plugin_descriptor* bb_plugin_query(uint32_t host_abi_major, uint32_t host_abi_minor);

namespace bambuddy::notifier_mqtt::test {

using nlohmann::json;
using Message = bambuddy::testing::MqttTestClient::Message;

inline const bb_plugin_descriptor* descriptor() {
  return bb_plugin_query(BB_ABI_MAJOR, BB_ABI_MINOR);
}

inline constexpr int64_t kNowMs = 1705329000000;
inline constexpr int64_t kWaitMs = 15000;

// Polls `condition` until it holds or `timeout_ms` passed.
inline bool waitUntil(const std::function<bool()>& condition, int64_t timeout_ms = kWaitMs) {
  const int64_t deadline = bambuddy::testing::steadyNowMs() + timeout_ms;
  while (!condition()) {
    if (bambuddy::testing::steadyNowMs() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// The payload of printer_status v1: {"printer_id": N, "status": {...}} (design/API.md).
inline json printerStatus(int64_t id, const std::string& name, const std::string& state = "printing",
                          double progress = 42.0) {
  json status = {
      {"id", id},
      {"name", name},
      {"connected", true},
      {"state", state},
      {"progress", progress},
      {"remaining_time", 3600},
      {"temperature", 219.5},
      {"temperatures",
       {{"nozzle", 219.5}, {"nozzle_target", 220}, {"bed", 60.1}, {"bed_target", 60}, {"chamber", 35}}},
      {"layer", 57},
      {"total_layers", 210},
      {"current_print", {{"filename", "benchy.3mf"}, {"started_at", "2024-01-15T12:15:00Z"}}},
      {"errors", json::array()},
      {"updated_at", "2024-01-15T13:00:00Z"}};
  return {{"printer_id", id}, {"status", status}};
}

inline std::string notification(const std::string& event, const std::string& id = "evt_n1") {
  return json{{"id", id},
              {"event", event},
              {"timestamp", "2024-01-15T14:30:00Z"},
              {"data", {{"printer", "Workshop X1C"}, {"printer_id", 1}, {"filename", "benchy.3mf"}}}}
      .dump();
}

using SendOutcome = bambuddy::testing::DeliveryOutcome;

// The plugin on a FakeHost, without a broker (settings, descriptor).
class MqttPluginTest : public ::testing::Test {
protected:
  MqttPluginTest() : host_(tmp_.path()) {}

  std::unique_ptr<bambuddy::testing::FakeHost::Instance>
  create(const json& settings, const json& config = json::object(), const std::string& instance_id = "mqtt") {
    return host_.create(descriptor(), config.dump(), settings.dump(), instance_id);
  }

  // The plugin's own refusal (its checks behind the schema: the settings reach create() as given).
  std::string refusal(const json& settings, const json& config = json::object(),
                      const char* reason = "invalid_settings") {
    try {
      host_.createAsGiven(descriptor(), config.dump(), settings.dump(), "mqtt");
    } catch (const sdk::Error& e) {
      EXPECT_EQ(e.code(), BB_ERR_INVALID_ARGUMENT) << e.what();
      EXPECT_EQ(e.reason(), reason) << e.what();
      return e.what();
    }
    ADD_FAILURE() << "accepted: " << settings.dump();
    return "";
  }

  SendOutcome send(bambuddy::testing::FakeHost::Instance& instance, const std::string& body,
                   int64_t budget_ms = 5000) {
    return instance.send(body, kNowMs + budget_ms);
  }

  bambuddy::testing::TempDir tmp_;
  bambuddy::testing::FakeHost host_;
};

// With a real broker. Tests create their observers before the plugin, so the plugin's Paho client
// goes first and Paho's threads end with the last observer.
class MqttTest : public MqttPluginTest {
protected:
  void SetUp() override { broker_.start(); }

  // Settings for the test broker: TLS with its CA, its login, a client id of `client_id`.
  json brokerSettings(const std::string& client_id = "bb-test") const {
    return json{{"host", broker_.host()},      {"port", broker_.port()},     {"tls", true},
                {"ca_file", broker_.caFile()}, {"username", broker_.user()}, {"password", broker_.password()},
                {"client_id", client_id}};
  }

  // A connected observer subscribed to `filter`.
  std::unique_ptr<bambuddy::testing::MqttTestClient> observe(const std::string& filter,
                                                             const std::string& client_id = "observer") {
    auto client = std::make_unique<bambuddy::testing::MqttTestClient>(
        bambuddy::testing::MqttEndpoint{broker_.uri(), broker_.caFile(), broker_.user(), broker_.password()},
        client_id);
    client->connect();
    client->subscribe(filter, 1);
    return client;
  }

  // Every retained message under `filter` (topic -> payload), read by a fresh client: it
  // subscribes to `filter`, then to the retained "<prefix>/status"; messages arrive in order on one
  // connection, so once that one is in, every retained message under `filter` is too.
  std::map<std::string, std::string> retained(const std::string& filter, const std::string& client_id,
                                              const std::string& prefix = "bambuddy") {
    auto reader = observe(filter, client_id);
    reader->subscribe(prefix + "/status", 1);
    EXPECT_TRUE(reader->waitFor([&](const Message& m) { return m.topic == prefix + "/status"; }, kWaitMs));
    std::map<std::string, std::string> out;
    for (const Message& m : reader->messages()) {
      if (m.topic != prefix + "/status" || filter == "#") {
        out[m.topic] = m.payload;
      }
    }
    return out;
  }

  static std::optional<Message> waitTopic(const bambuddy::testing::MqttTestClient& client,
                                          const std::string& topic, const std::string& payload,
                                          size_t from = 0) {
    return client.waitFor([&](const Message& m) { return m.topic == topic && m.payload == payload; }, kWaitMs,
                          from);
  }
  static std::optional<Message> waitTopic(const bambuddy::testing::MqttTestClient& client,
                                          const std::string& topic, size_t from = 0) {
    return client.waitFor([&](const Message& m) { return m.topic == topic; }, kWaitMs, from);
  }

  bambuddy::testing::MosquittoBroker broker_;
};

} // namespace bambuddy::notifier_mqtt::test
