// <prefix>/status: "online" (retained) after every connect, "offline" as the last will when the
// connection dies without a goodbye, and everything republished after a broker restart.
#include "mqtt_test_util.h"

#include <csignal>
#include <cstdlib>

namespace bambuddy::notifier_mqtt::test {
namespace availability_test {

constexpr const char* kChildSettingsEnv = "NOTIFIER_MQTT_CHILD_SETTINGS";

// Not a test of its own: the body of the child process AvailabilityWillFiresWhenTheProcessDies
// starts (this binary, filtered to this test). It holds the plugin connected until SIGKILL.
TEST(MqttChild, HoldConnectionUntilKilled) {
  const char* settings = std::getenv(kChildSettingsEnv);
  if (settings == nullptr) {
    GTEST_SKIP() << "runs only as the child process of AvailabilityWillFiresWhenTheProcessDies";
  }
  bambuddy::testing::TempDir tmp;
  bambuddy::testing::FakeHost host(tmp.path());
  auto plugin = host.create(descriptor(), "{}", settings, "child");
  while (true) {
    std::this_thread::sleep_for(std::chrono::seconds(1)); // until the parent's SIGKILL
  }
}

TEST_F(MqttTest, OnlineAfterConnectAndOfflineOnCleanShutdown) {
  auto watcher = observe("bambuddy/status");
  auto plugin = create(brokerSettings());
  ASSERT_TRUE(waitTopic(*watcher, "bambuddy/status", "online"));
  const size_t mark = watcher->mark();
  plugin->destroy();
  ASSERT_TRUE(waitTopic(*watcher, "bambuddy/status", "offline", mark));
  EXPECT_EQ(retained("#", "late-reader")["bambuddy/status"], "offline");
}

TEST_F(MqttTest, AvailabilityWillFiresWhenTheProcessDies) {
  auto watcher = observe("bambuddy/status");
  json settings = brokerSettings("bb-child");
  ::setenv(kChildSettingsEnv, settings.dump().c_str(), 1);
  pid_t child = bambuddy::testing::spawnChild(
      {NOTIFIER_MQTT_TEST_BINARY, "--gtest_filter=MqttChild.HoldConnectionUntilKilled"}, {});
  ::unsetenv(kChildSettingsEnv);
  auto online = waitTopic(*watcher, "bambuddy/status", "online");
  if (!online) {
    bambuddy::testing::terminateChild(child, 100);
    FAIL() << "the child never came online";
  }
  const size_t mark = watcher->mark();
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_TRUE(bambuddy::testing::reapChild(child, kWaitMs, status));
  // The kernel closed the socket without DISCONNECT: the broker publishes the will.
  ASSERT_TRUE(waitTopic(*watcher, "bambuddy/status", "offline", mark));
  EXPECT_EQ(retained("#", "late-reader")["bambuddy/status"], "offline");
}

TEST_F(MqttTest, BrokerRestartRepublishesAvailabilityDiscoveryAndStatus) {
  auto watcher = observe("#");
  auto plugin = create(brokerSettings("ha-test"));
  ASSERT_TRUE(waitTopic(*watcher, "bambuddy/status", "online"));
  host_.emit("printer_status", printerStatus(4, "Lab A1").dump());
  ASSERT_TRUE(waitTopic(*watcher, "bambuddy/printers/4/status"));

  const size_t mark = watcher->mark();
  broker_.restart(); // persistence is off: every retained message is gone
  ASSERT_TRUE(watcher->reconnect(kWaitMs));
  // Whichever came first, the observer's resubscription or the plugin's republishing, the messages
  // come back: retained ones with the subscription, later ones live.
  const std::string state_config = "homeassistant/sensor/bambuddy_ha-test_4/state/config";
  EXPECT_TRUE(waitTopic(*watcher, "bambuddy/status", "online", mark));
  auto config = waitTopic(*watcher, state_config, mark);
  ASSERT_TRUE(config);
  EXPECT_EQ(json::parse(config->payload)["device"]["name"], "Lab A1");
  auto status = waitTopic(*watcher, "bambuddy/printers/4/status", mark);
  ASSERT_TRUE(status);
  EXPECT_EQ(json::parse(status->payload), printerStatus(4, "Lab A1")["status"]);
}

} // namespace availability_test
} // namespace bambuddy::notifier_mqtt::test
