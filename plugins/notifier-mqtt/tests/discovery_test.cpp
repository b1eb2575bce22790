// Printer status and Home Assistant discovery against a real broker: what a client subscribing
// later (as HA does after a restart) reads back as retained messages.
#include "mqtt_test_util.h"

#include <map>
#include <set>

namespace bambuddy::notifier_mqtt::test {
namespace discovery_test {

std::map<std::string, json> parsed(const std::map<std::string, std::string>& messages) {
  std::map<std::string, json> out;
  for (const auto& [topic, payload] : messages) {
    out[topic] = json::parse(payload);
  }
  return out;
}

const std::string kNode = "bambuddy_ha-test_7";

TEST_F(MqttTest, StatusIsRetainedAndDiscoveryDescribesOneDevicePerPrinter) {
  auto watcher = observe("#");
  auto plugin = create(brokerSettings("ha-test"));
  ASSERT_TRUE(waitTopic(*watcher, "bambuddy/status", "online"));
  host_.emit("printer_status", printerStatus(7, "Workshop X1C").dump());
  host_.emit("printer_status", printerStatus(8, "Garage P1S", "idle", 0).dump());
  ASSERT_TRUE(waitTopic(*watcher, "bambuddy/printers/8/status"));

  // Status: exactly the REST status body, retained.
  auto statuses = parsed(retained("bambuddy/printers/+/status", "reader-status"));
  ASSERT_EQ(statuses.size(), 2u);
  EXPECT_EQ(statuses["bambuddy/printers/7/status"], printerStatus(7, "Workshop X1C")["status"]);
  EXPECT_EQ(statuses["bambuddy/printers/8/status"]["state"], "idle");

  // Ten entities per printer, no buttons without allow_control.
  auto configs = parsed(retained("homeassistant/#", "reader-discovery"));
  ASSERT_EQ(configs.size(), 20u);
  std::set<std::string> unique_ids;
  std::set<std::string> devices;
  for (const auto& [topic, config] : configs) {
    SCOPED_TRACE(topic);
    EXPECT_EQ(topic.find("/button/"), std::string::npos);
    ASSERT_TRUE(config.is_object());
    unique_ids.insert(config.at("unique_id").get<std::string>());
    devices.insert(config.at("device").at("identifiers").at(0).get<std::string>());
    EXPECT_EQ(config["device"]["manufacturer"], "Bambu Lab");
    EXPECT_EQ(config["availability"][0]["topic"], "bambuddy/status");
    EXPECT_EQ(config["availability"][0]["payload_available"], "online");
    EXPECT_EQ(config["availability"][0]["payload_not_available"], "offline");
    EXPECT_EQ(config["availability_mode"], "all");
    EXPECT_EQ(config["origin"]["name"], "Bambuddy");
    const std::string id = topic.find("_7/") != std::string::npos ? "7" : "8";
    EXPECT_EQ(config["state_topic"], "bambuddy/printers/" + id + "/status");
    EXPECT_TRUE(config["value_template"].is_string());
  }
  EXPECT_EQ(unique_ids.size(), 20u);
  EXPECT_EQ(devices, (std::set<std::string>{kNode, "bambuddy_ha-test_8"}));

  const json& state = configs.at("homeassistant/sensor/" + kNode + "/state/config");
  EXPECT_EQ(state["device"]["name"], "Workshop X1C");
  EXPECT_EQ(state["device_class"], "enum");
  EXPECT_EQ(state["options"],
            json::array({"idle", "preparing", "printing", "paused", "finished", "failed", "offline"}));
  EXPECT_EQ(state["unique_id"], kNode + "_state");
  EXPECT_EQ(state["availability"].size(), 1u); // says "offline" itself when the printer is

  const json& progress = configs.at("homeassistant/sensor/" + kNode + "/progress/config");
  EXPECT_EQ(progress["unit_of_measurement"], "%");
  ASSERT_EQ(progress["availability"].size(), 2u);
  EXPECT_EQ(progress["availability"][1]["topic"], "bambuddy/printers/7/status");
  EXPECT_EQ(progress["availability"][1]["value_template"],
            "{{ 'online' if value_json.connected else 'offline' }}");

  const json& remaining = configs.at("homeassistant/sensor/" + kNode + "/remaining_time/config");
  EXPECT_EQ(remaining["device_class"], "duration");
  EXPECT_EQ(remaining["unit_of_measurement"], "s");
  for (const char* t : {"nozzle", "bed", "chamber"}) {
    const json& temp = configs.at("homeassistant/sensor/" + kNode + "/" + t + "_temperature/config");
    EXPECT_EQ(temp["device_class"], "temperature");
    EXPECT_EQ(temp["unit_of_measurement"], "°C");
    EXPECT_EQ(temp["value_template"],
              std::string("{{ (value_json.temperatures or {}).") + t + " | default(none) }}");
  }
  EXPECT_TRUE(configs.count("homeassistant/sensor/" + kNode + "/current_file/config"));
  EXPECT_TRUE(configs.count("homeassistant/sensor/" + kNode + "/layer/config"));
  const json& online = configs.at("homeassistant/binary_sensor/" + kNode + "/online/config");
  EXPECT_EQ(online["device_class"], "connectivity");
  EXPECT_EQ(online["value_template"], "{{ 'ON' if value_json.connected else 'OFF' }}");
  const json& problem = configs.at("homeassistant/binary_sensor/" + kNode + "/problem/config");
  EXPECT_EQ(problem["device_class"], "problem");
}

TEST_F(MqttTest, StatusIsCoalescedToOneASecondPerPrinter) {
  auto watcher = observe("bambuddy/printers/#");
  auto plugin = create(brokerSettings());
  ASSERT_TRUE(waitUntil([&] { return host_.logged("connected to the MQTT broker"); }));
  const int64_t started = bambuddy::testing::steadyNowMs();
  for (int i = 1; i <= 50; ++i) {
    host_.emit("printer_status", printerStatus(3, "P", "printing", i).dump());
  }
  // The last one always arrives; in between at most one a second got through.
  auto last = watcher->waitFor(
      [](const Message& m) {
        return m.topic == "bambuddy/printers/3/status" && json::parse(m.payload)["progress"] == 50;
      },
      kWaitMs);
  ASSERT_TRUE(last);
  const int64_t elapsed_ms = bambuddy::testing::steadyNowMs() - started;
  const size_t published = watcher->messages().size();
  EXPECT_GE(published, 1u);
  EXPECT_LE(published, static_cast<size_t>(1 + elapsed_ms / 1000 + 1))
      << published << " in " << elapsed_ms << " ms";
}

TEST_F(MqttTest, ARenamedPrinterIsAnnouncedAgainUnderTheSameIds) {
  auto watcher = observe("homeassistant/#");
  auto plugin = create(brokerSettings("ha-test"));
  host_.emit("printer_status", printerStatus(7, "Workshop X1C").dump());
  const std::string topic = "homeassistant/sensor/" + kNode + "/state/config";
  ASSERT_TRUE(waitTopic(*watcher, topic));
  const size_t mark = watcher->mark();
  host_.emit("printer_status", printerStatus(7, "Workshop X1C", "idle").dump()); // same name: no config
  host_.emit("printer_status", printerStatus(7, "Bench X1C", "idle").dump());
  auto renamed = waitTopic(*watcher, topic, mark);
  ASSERT_TRUE(renamed);
  json config = json::parse(renamed->payload);
  EXPECT_EQ(config["device"]["name"], "Bench X1C");
  EXPECT_EQ(config["unique_id"], kNode + "_state");
  size_t announced = 0;
  for (const Message& m : watcher->messages(mark)) {
    announced += m.topic == topic ? 1 : 0;
  }
  EXPECT_EQ(announced, 1u) << "a status without a new name announces nothing";
}

TEST_F(MqttTest, PrinterRemovedClearsConfigsAndStatus) {
  auto watcher = observe("#");
  json settings = brokerSettings("ha-test");
  settings["allow_control"] = true;
  auto plugin = create(settings);
  host_.emit("printer_status", printerStatus(7, "Workshop X1C").dump());
  ASSERT_TRUE(waitTopic(*watcher, "bambuddy/printers/7/status"));
  EXPECT_EQ(retained("homeassistant/#", "reader-before").size(), 13u); // 10 + 3 buttons

  const size_t mark = watcher->mark();
  host_.emit("printer_removed", json{{"printer_id", 7}}.dump());
  ASSERT_TRUE(waitTopic(*watcher, "bambuddy/printers/7/status", "", mark));
  ASSERT_TRUE(waitUntil([&] {
    size_t cleared = 0;
    for (const Message& m : watcher->messages(mark)) {
      cleared += m.topic.rfind("homeassistant/", 0) == 0 && m.payload.empty() ? 1 : 0;
    }
    return cleared >= 13;
  }));
  // A client subscribing now finds nothing retained for the printer: HA forgot it.
  EXPECT_TRUE(retained("homeassistant/#", "reader-after").empty());
  EXPECT_TRUE(retained("bambuddy/printers/#", "reader-status-after").empty());
}

} // namespace discovery_test
} // namespace bambuddy::notifier_mqtt::test
