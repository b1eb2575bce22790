// send(): a notification is delivered once the broker acknowledged it; anything else is a
// retryable failure that says why, within the deadline.
#include "mqtt_test_util.h"

#include "support/loopback_port.h"

namespace bambuddy::notifier_mqtt::test {
namespace events_test {

TEST_F(MqttTest, EventIsPublishedAndAcknowledged) {
  auto watcher = observe("bambuddy/events/#");
  auto plugin = create(brokerSettings());
  ASSERT_TRUE(waitUntil([&] { return host_.logged("connected to the MQTT broker"); }));
  const std::string body = notification("print_complete");
  SendOutcome out = send(*plugin, body);
  ASSERT_EQ(out.rc, BB_OK) << out.message;
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_DELIVERED) << out.error();
  EXPECT_STREQ(out.result.response_snippet,
               "published to bambuddy/events/print_complete (QoS 1, acknowledged)");
  auto got = waitTopic(*watcher, "bambuddy/events/print_complete");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->payload, body);
}

TEST_F(MqttTest, QosTwoRetainAndPrefix) {
  json settings = brokerSettings();
  settings["qos"] = 2;
  settings["retain"] = true;
  settings["topic_prefix"] = "farm/bb";
  auto plugin = create(settings);
  ASSERT_TRUE(waitUntil([&] { return host_.logged("connected to the MQTT broker"); }));
  SendOutcome out = send(*plugin, notification("print_failed"));
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_DELIVERED) << out.error();
  // Retained: a client subscribing afterwards still gets it.
  auto events = retained("farm/bb/events/#", "late-reader", "farm/bb");
  EXPECT_EQ(events.count("farm/bb/events/print_failed"), 1u);
}

TEST_F(MqttTest, BrokerDownIsRetryableAndSaysSo) {
  json settings = brokerSettings();
  settings["port"] = bambuddy::testing::pickFreeLoopbackPort();
  auto plugin = create(settings);
  ASSERT_TRUE(waitUntil([&] { return host_.logged("cannot connect to the MQTT broker"); }));
  const int64_t started = bambuddy::testing::steadyNowMs();
  SendOutcome out = send(*plugin, notification("print_complete"), 2000);
  EXPECT_LT(bambuddy::testing::steadyNowMs() - started, 2000);
  ASSERT_EQ(out.rc, BB_OK);
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_NE(out.error().find("not connected: cannot connect to the MQTT broker at 127.0.0.1:"),
            std::string::npos)
      << out.error();
  EXPECT_NE(out.error().find("connection refused"), std::string::npos) << out.error();
}

TEST_F(MqttTest, BrokerStoppedAfterConnectIsRetryable) {
  auto plugin = create(brokerSettings());
  ASSERT_TRUE(waitUntil([&] { return host_.logged("connected to the MQTT broker"); }));
  broker_.stop();
  SendOutcome out;
  // Until Paho noticed the lost connection a publish may fail on the socket instead: both retryable.
  ASSERT_TRUE(waitUntil([&] {
    out = send(*plugin, notification("print_complete"), 1000);
    return out.result.outcome == BB_DELIVERY_RETRYABLE &&
           out.error().find("not connected") != std::string::npos;
  })) << out.error();
}

TEST_F(MqttTest, RefusedLoginIsRetryableAndNamesIt) {
  json settings = brokerSettings();
  settings["password"] = "wrong-password-123";
  auto plugin = create(settings);
  ASSERT_TRUE(waitUntil([&] { return host_.logged("refused the"); }));
  SendOutcome out = send(*plugin, notification("print_complete"));
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_NE(out.error().find("refused the"), std::string::npos) << out.error();
  EXPECT_TRUE(out.error().find("not authorized") != std::string::npos ||
              out.error().find("bad user name or password") != std::string::npos)
      << out.error();
  for (const auto& line : host_.logs()) {
    EXPECT_EQ(line.message.find("wrong-password"), std::string::npos) << line.message;
  }
  EXPECT_EQ(out.error().find("wrong-password"), std::string::npos);
}

TEST_F(MqttTest, BadNotificationsArePermanentAndAPassedDeadlineIsRetryable) {
  auto plugin = create(brokerSettings());
  SendOutcome out = send(*plugin, notification("Print Complete"));
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_STREQ(out.result.error,
               "event name 'Print Complete' cannot be a topic level (lower-case letters, digits and '_')");
  out = send(*plugin, "{}");
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_PERMANENT);
  out = send(*plugin, notification("print_complete"), -1);
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_STREQ(out.result.error, "the delivery deadline passed before the attempt started");
}

} // namespace events_test
} // namespace bambuddy::notifier_mqtt::test
