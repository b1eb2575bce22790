// Buttons: printers are commanded from the broker only with allow_control, and only with pause,
// resume or stop, through the host's printer_command.
#include "mqtt_test_util.h"

namespace bambuddy::notifier_mqtt::test {
namespace control_test {

TEST_F(MqttTest, WithoutAllowControlACommandDoesNothing) {
  // The observer listens to the command topic too: once it got the command, the broker has
  // routed it to every subscriber, and the broker's log shows the plugin was not one of them.
  bambuddy::testing::MosquittoBrokerOptions verbose;
  verbose.verbose_log = true;
  bambuddy::testing::MosquittoBroker broker(verbose);
  broker.start();
  auto watcher = std::make_unique<bambuddy::testing::MqttTestClient>(
      bambuddy::testing::MqttEndpoint{broker.uri(), broker.caFile(), broker.user(), broker.password()},
      "observer");
  watcher->connect();
  watcher->subscribe("#", 1);
  json settings = brokerSettings("no-control");
  settings["port"] = broker.port();
  settings["ca_file"] = broker.caFile();
  auto plugin = create(settings);
  ASSERT_TRUE(waitTopic(*watcher, "bambuddy/status", "online"));
  host_.emit("printer_status", printerStatus(5, "X1").dump());
  ASSERT_TRUE(waitTopic(*watcher, "bambuddy/printers/5/status"));

  watcher->publish("bambuddy/printers/5/command", "pause", 1);
  ASSERT_TRUE(waitTopic(*watcher, "bambuddy/printers/5/command", "pause"));
  EXPECT_EQ(broker.countInLog("Sending PUBLISH to no-control"), 0u) << broker.log();
  EXPECT_EQ(broker.countInLog("SUBSCRIBE from no-control"), 0u);
  EXPECT_TRUE(host_.printerCommands().empty());
  // Button topics only ever get empty payloads: they clear buttons an earlier run announced.
  for (const Message& m : watcher->messages()) {
    if (m.topic.find("/button/") != std::string::npos) {
      EXPECT_EQ(m.payload, "") << m.topic;
    }
  }
}

TEST_F(MqttTest, WithAllowControlButtonsReachTheHost) {
  auto watcher = observe("#");
  host_.setPrinterCommandHandler([&](int64_t printer_id, const std::string& action) -> std::string {
    if (printer_id == 99) {
      throw sdk::Error(BB_ERR_NOT_FOUND, "not_found", "no printer with id 99");
    }
    return json{{"printer_id", printer_id}, {"action", action}}.dump();
  });
  json settings = brokerSettings("ha-test");
  settings["allow_control"] = true;
  auto plugin = create(settings);
  host_.emit("printer_status", printerStatus(5, "X1").dump());
  ASSERT_TRUE(waitTopic(*watcher, "bambuddy/printers/5/status"));

  // Discovery offers the three buttons, writing to the printer's command topic.
  auto configs = retained("homeassistant/button/#", "reader-buttons");
  ASSERT_EQ(configs.size(), 3u);
  for (const char* action : {"pause", "resume", "stop"}) {
    json button =
        json::parse(configs.at(std::string("homeassistant/button/bambuddy_ha-test_5/") + action + "/config"));
    EXPECT_EQ(button["command_topic"], "bambuddy/printers/5/command");
    EXPECT_EQ(button["payload_press"], action);
    EXPECT_EQ(button["unique_id"], std::string("bambuddy_ha-test_5_") + action);
    EXPECT_EQ(button["device"]["identifiers"][0], "bambuddy_ha-test_5");
  }

  // Anything but the three words is ignored; the three reach the host in order.
  watcher->publish("bambuddy/printers/5/command", "start_print", 1);
  watcher->publish("bambuddy/printers/5/command", "{\"action\":\"pause\"}", 1);
  watcher->publish("bambuddy/printers/abc/command", "pause", 1);
  watcher->publish("bambuddy/printers/5/command", "pause", 1);
  watcher->publish("bambuddy/printers/5/command", "resume", 1);
  watcher->publish("bambuddy/printers/6/command", "stop", 1);
  ASSERT_TRUE(host_.waitForPrinterCommands(3, kWaitMs));
  watcher->publish("bambuddy/printers/99/command", "stop", 1);
  ASSERT_TRUE(host_.waitForPrinterCommands(4, kWaitMs));
  auto commands = host_.printerCommands();
  ASSERT_EQ(commands.size(), 4u);
  EXPECT_EQ(commands[0].printer_id, 5);
  EXPECT_EQ(commands[0].command_json, R"({"action":"pause"})");
  EXPECT_EQ(commands[1].command_json, R"({"action":"resume"})");
  EXPECT_EQ(commands[2].printer_id, 6);
  EXPECT_EQ(commands[2].command_json, R"({"action":"stop"})");
  EXPECT_EQ(commands[3].printer_id, 99);
  EXPECT_TRUE(waitUntil(
      [&] { return host_.logged("stop of printer 99 from bambuddy/printers/99/command refused"); }));
}

TEST_F(MqttTest, TurningControlOffRemovesTheButtons) {
  auto watcher = observe("#");
  json settings = brokerSettings("ha-test");
  settings["allow_control"] = true;
  {
    auto plugin = create(settings);
    host_.emit("printer_status", printerStatus(5, "X1").dump());
    ASSERT_TRUE(waitTopic(*watcher, "homeassistant/button/bambuddy_ha-test_5/stop/config"));
  }
  settings["allow_control"] = false;
  const size_t mark = watcher->mark();
  auto plugin = create(settings);
  host_.emit("printer_status", printerStatus(5, "X1").dump());
  ASSERT_TRUE(waitTopic(*watcher, "homeassistant/button/bambuddy_ha-test_5/stop/config", "", mark));
  EXPECT_TRUE(retained("homeassistant/button/#", "reader-no-buttons").empty());
}

} // namespace control_test
} // namespace bambuddy::notifier_mqtt::test
