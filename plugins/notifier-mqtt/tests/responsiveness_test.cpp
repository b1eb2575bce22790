// A broker that stops answering never holds anyone up: send() keeps to its deadline with a
// timeout, and bus callbacks return at once whatever the connection is doing.
#include "mqtt_test_util.h"

#include <arpa/inet.h>
#include <csignal>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace bambuddy::notifier_mqtt::test {
namespace responsiveness_test {

// The longest a bus callback took over `count` status events.
int64_t slowestCallbackMs(bambuddy::testing::FakeHost& host, int count) {
  int64_t slowest = 0;
  for (int i = 0; i < count; ++i) {
    const int64_t t0 = bambuddy::testing::steadyNowMs();
    host.emit("printer_status", printerStatus(1 + i % 100, "P", "printing", i % 100).dump());
    slowest = std::max(slowest, bambuddy::testing::steadyNowMs() - t0);
  }
  return slowest;
}

TEST_F(MqttTest, AStalledBrokerIsATimeoutWithinTheDeadline) {
  auto plugin = create(brokerSettings());
  ASSERT_TRUE(waitUntil([&] { return host_.logged("connected to the MQTT broker"); }));
  ASSERT_EQ(::kill(broker_.pid(), SIGSTOP), 0); // the connection stays up; nothing is acknowledged
  const int64_t t0 = bambuddy::testing::steadyNowMs();
  SendOutcome out = send(*plugin, notification("print_complete"), 500);
  const int64_t took = bambuddy::testing::steadyNowMs() - t0;
  // Bus callbacks do not wait for a broker that does not read.
  const int64_t slowest_ms = slowestCallbackMs(host_, 500);
  ::kill(broker_.pid(), SIGCONT);
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_NE(out.error().find("timeout: the MQTT broker at 127.0.0.1:"), std::string::npos) << out.error();
  EXPECT_NE(out.error().find("did not acknowledge within 500 ms"), std::string::npos) << out.error();
  EXPECT_GE(took, 450);
  EXPECT_LT(took, 3000); // the deadline, plus scheduling on a busy machine
  EXPECT_LT(slowest_ms, 1000) << "a bus callback waited for the broker";
}

TEST_F(MqttTest, ABrokerThatNeverAnswersTheHandshakeBlocksNothing) {
  // Accepts TCP connections and never says a word: the plugin's connect waits for its timeout.
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  json settings = brokerSettings();
  settings["port"] = ntohs(addr.sin_port);
  auto plugin = create(settings);
  pollfd pfd{listener, POLLIN, 0};
  ASSERT_EQ(::poll(&pfd, 1, static_cast<int>(kWaitMs)), 1) << "the plugin never tried to connect";
  int connection = ::accept(listener, nullptr, nullptr);
  ASSERT_GE(connection, 0);

  // The plugin's thread is inside its connect attempt now.
  const int64_t t0 = bambuddy::testing::steadyNowMs();
  SendOutcome out = send(*plugin, notification("print_complete"), 2000);
  EXPECT_LT(bambuddy::testing::steadyNowMs() - t0, 1000) << "send waited for the connect attempt";
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_EQ(out.error().rfind("not connected", 0), 0u) << out.error();
  EXPECT_LT(slowestCallbackMs(host_, 500), 1000) << "a bus callback waited for the connect attempt";
  // The attempt ends with its timeout and says so.
  EXPECT_TRUE(waitUntil([&] { return host_.logged("retrying with backoff"); }, 15000));
  ::close(connection);
  ::close(listener);
}

} // namespace responsiveness_test
} // namespace bambuddy::notifier_mqtt::test
