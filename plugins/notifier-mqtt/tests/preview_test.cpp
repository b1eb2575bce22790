// preview(): the topic and payload send() would publish, without publishing anything and without
// needing the broker; images are not published (the payload stays the notification).
#include "mqtt_test_util.h"

namespace bambuddy::notifier_mqtt::test {
namespace preview_test {

TEST_F(MqttTest, PreviewDescribesThePublishWithoutPublishing) {
  auto watcher = observe("bambuddy/#");
  json settings = brokerSettings();
  settings["qos"] = 2;
  auto plugin = create(settings);
  ASSERT_TRUE(waitUntil([&] { return host_.logged("connected to the MQTT broker"); }));
  const std::string body = notification("print_complete");
  bambuddy::testing::PreviewOutcome p = plugin->preview(body);
  ASSERT_EQ(p.rc, BB_OK) << p.reason << ": " << p.message;
  json expected = {{"title", ""},
                   {"message", "bambuddy/events/print_complete\n" + body},
                   {"topic", "bambuddy/events/print_complete"},
                   {"payload", body},
                   {"qos", 2},
                   {"retain", false}};
  EXPECT_EQ(json::parse(p.json), expected) << p.json;
  EXPECT_EQ(p.json.find(broker_.password()), std::string::npos);
  // Nothing reached the broker's event topics.
  EXPECT_FALSE(
      watcher->waitFor([](const auto& m) { return m.topic.rfind("bambuddy/events/", 0) == 0; }, 500, 0));
}

TEST_F(MqttPluginTest, PreviewNeedsNoBrokerAndRefusesBadInput) {
  auto plugin = create(json{{"host", "127.0.0.1"}, {"port", 9}, {"topic_prefix", "farm"}, {"retain", true}});
  json d = json::parse(plugin->preview(notification("test")).json);
  EXPECT_EQ(d["topic"], "farm/events/test");
  EXPECT_EQ(d["retain"], true);
  EXPECT_EQ(d["qos"], 1);
  bambuddy::testing::PreviewOutcome bad = plugin->preview(
      json{{"id", "e"}, {"event", "Not/A/Level"}, {"timestamp", ""}, {"data", json::object()}}.dump());
  EXPECT_EQ(bad.rc, BB_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(bad.reason, "invalid_event");
  bambuddy::testing::PreviewOutcome malformed = plugin->preview("[1]");
  EXPECT_EQ(malformed.rc, BB_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(malformed.reason, "invalid_notification");
}

} // namespace preview_test
} // namespace bambuddy::notifier_mqtt::test
