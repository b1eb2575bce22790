// Paho must never be asked to connect (or disconnect) while the same client's previous connect is
// unfinished: MQTTAsync_connect overwrites the running attempt's callback context, so one token
// completes twice (the heap corruption seen in token::on_failure under reconnect storms) and
// another never. These tests make an attempt outlive the driver's own wait by stalling Paho, as an
// overloaded Paho does, and stop and restart sessions while Paho's attempt still runs.
#include "bambu_test_util.h"
#include "local_tls_server.h"
#include "paho_stall.h"
#include "session_fixtures.h"

#include "mqtt_session.h"

namespace bambuddy::printer_bambu::test {
namespace {

// Paho gives up on an attempt after 2 s (an idle Paho may take up to a second to notice a new
// socket, so 1 s would be tight); the driver's own limit is that plus a 2 s margin.
DriverConfig fastConfig() {
  return fastDriverConfig(2000, 20, 40);
}

class BambuConnectRace : public ::testing::Test {
protected:
  std::unique_ptr<MqttSession> session(int port) {
    return std::make_unique<MqttSession>(harness_.host(), fastConfig(), loopbackPrinter(port));
  }

  std::string lastError() {
    auto reports = host_.statusReports();
    if (reports.empty()) {
      return "";
    }
    json status = json::parse(reports.back());
    return status["connection_error"].is_string() ? status["connection_error"].get<std::string>() : "";
  }

  testing::FakeHost host_;
  HostHarness harness_{host_};
};

TEST_F(BambuConnectRace, NoNewConnectWhileTheLastOneIsUnfinished) {
  LocalTlsServer broker(LocalTlsServer::Mode::MqttMute); // TLS, then never a CONNACK
  auto s = session(broker.port());
  s->start();
  // Paho's attempt has sent its CONNECT and waits for the CONNACK.
  ASSERT_TRUE(eventually([&] { return broker.mqttConnections() >= 1; }, 10000));
  {
    PahoStall stall;
    ASSERT_TRUE(stall.waitStalled(5000));
    // Paho cannot end the attempt now; the driver's wait for it (4 s) runs out and says so...
    ASSERT_TRUE(
        eventually([&] { return lastError().find("timed out after 4000 ms") != std::string::npos; }, 10000))
        << lastError();
    // ...but it must not begin another attempt on the same client while this one is unfinished.
    EXPECT_FALSE(eventually([&] { return s->connectAttempts() > 1; }, 500));
  }
  // Paho times the attempt out once it runs again; then the driver goes on with new attempts.
  // (Whether those get through the handshake is Paho's business: after a stall its socket poll
  // can mistake a reused descriptor for the old, closed one.)
  ASSERT_TRUE(eventually([&] { return s->connectAttempts() >= 3; }, 20000));
  s->stop();
  bool said_why = false;
  for (const std::string& report : host_.statusReports()) {
    said_why |= report.find("timed out (no CONNACK within connect_timeout_ms)") != std::string::npos;
  }
  EXPECT_TRUE(said_why) << "Paho's own timeout is named";
  EXPECT_EQ(broker.maxConcurrentMqtt(), 1);
}

TEST_F(BambuConnectRace, StopAndStartWhileAConnectIsUnfinished) {
  LocalTlsServer broker(LocalTlsServer::Mode::MqttMute);
  auto s = session(broker.port());
  // Each run: the probe's connection and Paho's own reach the broker, then stop() leaves Paho's
  // attempt running (the next start() or the destructor deals with it).
  auto startAndReachBroker = [&] {
    const int before = broker.accepted();
    s->start(); // first waits until Paho has given up the previous run's attempt
    return eventually([&] { return broker.accepted() >= before + 2; }, 15000);
  };
  for (int round = 1; round <= 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    ASSERT_TRUE(startAndReachBroker());
    Clock::time_point stopping = Clock::now();
    s->stop();
    EXPECT_LT(msSince(stopping), 500);
  }
  ASSERT_TRUE(startAndReachBroker());
  s.reset(); // destroyed while Paho's attempt may still run
  EXPECT_GE(broker.mqttConnections(), 1);
  EXPECT_EQ(broker.maxConcurrentMqtt(), 1);
}

} // namespace
} // namespace bambuddy::printer_bambu::test
