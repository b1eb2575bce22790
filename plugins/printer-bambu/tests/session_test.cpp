// The MQTT session without a broker: connection errors, backoff, stop at any moment, pinning.
// (End-to-end runs against a real mosquitto broker live in broker_test.cpp.)
#include "bambu_test_util.h"
#include "local_tls_server.h"

#include "mqtt_session.h"
#include "session_fixtures.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

namespace bambuddy::printer_bambu::test {
namespace session_test {

// A loopback port with nothing listening (bound, then released).
int closedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

DriverConfig fastConfig() {
  return fastDriverConfig(1000, 50, 200);
}

class BambuSession : public ::testing::Test {
protected:
  void TearDown() override {
    for (const auto& line : host_.logs()) {
      EXPECT_EQ(line.message.find("Sekr1tCode"), std::string::npos) << "access code logged: " << line.message;
    }
    for (const std::string& report : host_.statusReports()) {
      EXPECT_EQ(report.find("Sekr1tCode"), std::string::npos) << report;
    }
  }

  std::unique_ptr<MqttSession> session(DriverConfig config, PrinterSettings settings) {
    return std::make_unique<MqttSession>(harness_.host(), config, std::move(settings));
  }

  json lastReport() {
    auto reports = host_.statusReports();
    return reports.empty() ? json() : json::parse(reports.back());
  }

  int warnings(const std::string& needle) {
    int n = 0;
    for (const auto& line : host_.logs()) {
      n += line.level == BB_LOG_WARN && line.message.find(needle) != std::string::npos ? 1 : 0;
    }
    return n;
  }

  testing::FakeHost host_;
  HostHarness harness_{host_};
};

TEST_F(BambuSession, ClientIdNamesSerialProcessAndInstance) {
  auto a = session(fastConfig(), loopbackPrinter(1));
  auto b = session(fastConfig(), loopbackPrinter(1));
  std::string prefix = "bambuddy_01P00TEST000001_" + std::to_string(::getpid()) + "_";
  EXPECT_EQ(a->clientId().rfind(prefix, 0), 0u) << a->clientId();
  EXPECT_EQ(b->clientId().rfind(prefix, 0), 0u) << b->clientId();
  EXPECT_NE(a->clientId(), b->clientId());
  EXPECT_EQ(std::stoull(b->clientId().substr(prefix.size())),
            std::stoull(a->clientId().substr(prefix.size())) + 1);
}

TEST_F(BambuSession, RefusedConnectionIsReportedAndRetriedWithBackoff) {
  int port = closedPort();
  auto s = session(fastConfig(), loopbackPrinter(port));
  Clock::time_point started = Clock::now();
  s->start();
  EXPECT_LT(msSince(started), 200) << "start() must not wait for the connection";
  ASSERT_TRUE(host_.waitForStatusReports(1, 5000));
  json status = lastReport();
  EXPECT_EQ(status["connected"], false);
  EXPECT_EQ(status["state"], "offline");
  EXPECT_EQ(status["connection_error"],
            "TCP connection to 127.0.0.1:" + std::to_string(port) + " failed: Connection refused");
  // Backoff: 50, 100, 200, 200, ... ms (+/-20 %): a handful of attempts per second, not thousands.
  ASSERT_TRUE(eventually([&] { return s->connectAttempts() >= 5; }, 5000));
  Clock::time_point window = Clock::now();
  uint64_t before = s->connectAttempts();
  ASSERT_TRUE(eventually([&] { return msSince(window) >= 1000; }, 2000));
  uint64_t per_second = s->connectAttempts() - before;
  EXPECT_GE(per_second, 2u);
  EXPECT_LE(per_second, 7u);
  s->stop();
  // The same error again and again is one report and one warning; repeats are debug lines.
  EXPECT_EQ(host_.statusReports().size(), 1u);
  EXPECT_EQ(warnings("Connection refused"), 1);
}

TEST_F(BambuSession, StopIsPromptDuringBackoff) {
  DriverConfig c = fastConfig();
  c.reconnect_min_ms = 60000;
  c.reconnect_max_ms = 60000;
  auto s = session(c, loopbackPrinter(closedPort()));
  s->start();
  ASSERT_TRUE(host_.waitForStatusReports(1, 5000));
  Clock::time_point stopping = Clock::now();
  s->stop();
  EXPECT_LT(msSince(stopping), 500);
  EXPECT_EQ(s->connectAttempts(), 1u);
  s->stop(); // idempotent
}

TEST_F(BambuSession, StopIsPromptWhileAPrinterNeverAnswersTheHandshake) {
  LocalTlsServer mute(LocalTlsServer::Mode::Silent);
  DriverConfig c = fastConfig();
  c.connect_timeout_ms = 30000;
  auto s = session(c, loopbackPrinter(mute.port()));
  s->start();
  ASSERT_TRUE(eventually([&] { return mute.accepted() >= 1; }, 5000));
  Clock::time_point stopping = Clock::now();
  s->stop();
  EXPECT_LT(msSince(stopping), 1000);
  EXPECT_TRUE(host_.statusReports().empty());
}

TEST_F(BambuSession, AHandshakeThatNeverCompletesTimesOut) {
  LocalTlsServer mute(LocalTlsServer::Mode::Silent);
  auto s = session(fastConfig(), loopbackPrinter(mute.port()));
  s->start();
  ASSERT_TRUE(host_.waitForStatusReports(1, 5000));
  EXPECT_EQ(lastReport()["connection_error"],
            "TLS handshake with 127.0.0.1:" + std::to_string(mute.port()) + " timed out");
  s->stop();
}

TEST_F(BambuSession, PinnedFingerprintMismatchNeverReachesMqtt) {
  LocalTlsServer server(LocalTlsServer::Mode::MqttMute); // would see a CONNECT if one were written
  PrinterSettings settings = loopbackPrinter(server.port());
  settings.tls_mode = TlsMode::Fingerprint;
  settings.fingerprint_sha256 = std::string(64, 'a');
  auto s = session(fastConfig(), settings);
  s->start();
  ASSERT_TRUE(host_.waitForStatusReports(1, 5000));
  EXPECT_EQ(lastReport()["connection_error"], "the printer's certificate (SHA-256 " + server.fingerprint() +
                                                  ") does not match tls.fingerprint_sha256");
  // Three attempts reached the server's TLS handshake.
  ASSERT_TRUE(eventually([&] { return server.accepted() >= 3; }, 5000));
  s->stop();
  // The check runs on the MQTT connection itself, and the CONNECT (with the access code) is never
  // written to a certificate that does not match.
  EXPECT_EQ(server.mqttConnections(), 0);
  EXPECT_EQ(warnings("does not match tls.fingerprint_sha256"), 1);
}

TEST_F(BambuSession, PinnedFingerprintMatchGoesOnToMqtt) {
  LocalTlsServer server(LocalTlsServer::Mode::Handshake); // hangs up after TLS: no MQTT there
  PrinterSettings settings = loopbackPrinter(server.port());
  settings.tls_mode = TlsMode::Fingerprint;
  settings.fingerprint_sha256 = server.fingerprint();
  auto s = session(fastConfig(), settings);
  s->start();
  ASSERT_TRUE(host_.waitForStatusReports(1, 10000));
  EXPECT_EQ(lastReport()["connection_error"],
            "MQTT connection to 127.0.0.1:" + std::to_string(server.port()) +
                " failed: the printer hung up during the TLS or MQTT handshake");
  EXPECT_GE(server.accepted(), 1);
  s->stop();
}

TEST_F(BambuSession, UnreadableCaFileIsNamed) {
  PrinterSettings settings = loopbackPrinter(closedPort());
  settings.tls_mode = TlsMode::CaFile;
  settings.ca_file = "/nonexistent/bambu-ca.pem";
  auto s = session(fastConfig(), settings);
  s->start();
  ASSERT_TRUE(host_.waitForStatusReports(1, 5000));
  EXPECT_EQ(lastReport()["connection_error"],
            "cannot read tls.ca_file /nonexistent/bambu-ca.pem: No such file or directory");
  s->stop();
}

TEST_F(BambuSession, StartStopRacesLeaveNoReportBehind) {
  LocalTlsServer server(LocalTlsServer::Mode::Handshake);
  DriverConfig c = fastConfig();
  c.reconnect_min_ms = 10;
  c.reconnect_max_ms = 20;
  for (int round = 0; round < 16; ++round) {
    // Every fourth round reaches a TLS server, the others are refused.
    PrinterSettings settings = loopbackPrinter(round % 4 == 1 ? server.port() : closedPort());
    auto s = session(c, settings);
    s->start();
    if (round % 3 == 0) {
      eventually([&] { return s->connectAttempts() >= 2; }, 2000);
    }
    s->stop();
    size_t reports = host_.statusReports().size();
    // Nothing may arrive after stop() returned, however long one waits.
    EXPECT_FALSE(host_.waitForStatusReports(reports + 1, round == 15 ? 300 : 20)) << round;
    if (round % 4 == 0) {
      s->start(); // a stopped session can start again
      eventually([&] { return host_.statusReports().size() > reports; }, 2000);
      s->stop();
    }
  }
}

// A host whose report_status refuses the first `refusals` calls (a full event bus), then passes
// them on to the FakeHost.
struct FlakyReportHost {
  static int32_t reportStatus(bb_host_ctx* ctx, const char* json, size_t len, bb_error* err) {
    FlakyReportHost* self = reinterpret_cast<Ctx*>(ctx)->flaky;
    if (self->refusals.fetch_sub(1) > 0) {
      sdk::detail::fillError(err, BB_ERR_UNAVAILABLE, "bus_full", "event bus queue is full; status dropped");
      return BB_ERR_UNAVAILABLE;
    }
    return self->fake->api()->report_status(ctx, json, len, err);
  }
  struct Ctx : testing::FakeHost::Ctx {
    FlakyReportHost* flaky = nullptr;
  };

  explicit FlakyReportHost(testing::FakeHost& host, int refuse) : fake(&host), refusals(refuse) {
    api = *host.api();
    api.report_status = &FlakyReportHost::reportStatus;
    ctx.host = &host;
    ctx.plugin_name = "printer.bambu";
    ctx.instance_id = "flaky";
    ctx.kind = BB_KIND_PRINTER_DRIVER;
    ctx.flaky = this;
  }
  sdk::Host host() {
    return sdk::Host(&api, reinterpret_cast<bb_host_ctx*>(static_cast<testing::FakeHost::Ctx*>(&ctx)));
  }

  testing::FakeHost* fake;
  std::atomic<int> refusals;
  bb_host_api api{};
  Ctx ctx;
};

TEST_F(BambuSession, ARefusedReportIsOfferedAgain) {
  FlakyReportHost flaky(host_, 2);
  DriverConfig c = fastConfig();
  c.reconnect_min_ms = 60000; // no second attempt: only the retry can deliver the report
  c.reconnect_max_ms = 60000;
  MqttSession s(flaky.host(), c, loopbackPrinter(closedPort()));
  s.start();
  ASSERT_TRUE(host_.waitForStatusReports(1, 5000));
  EXPECT_EQ(s.connectAttempts(), 1u);
  EXPECT_EQ(lastReport()["state"], "offline");
  EXPECT_LT(flaky.refusals.load(), 0); // both refusals happened before the report got through
  s.stop();
}

TEST_F(BambuSession, ACertificateMatchingThePinGetsTheConnect) {
  LocalTlsServer server(LocalTlsServer::Mode::MqttMute);
  PrinterSettings settings = loopbackPrinter(server.port());
  settings.tls_mode = TlsMode::Fingerprint;
  settings.fingerprint_sha256 = server.fingerprint();
  auto s = session(fastConfig(), settings);
  s->start();
  ASSERT_TRUE(eventually([&] { return server.mqttConnections() >= 1; }, 5000));
  s->stop();
}

TEST_F(BambuSession, NoConnackInTimeIsNamed) {
  LocalTlsServer server(LocalTlsServer::Mode::MqttMute);
  auto s = session(fastConfig(), loopbackPrinter(server.port()));
  s->start();
  ASSERT_TRUE(host_.waitForStatusReports(1, 5000));
  EXPECT_EQ(lastReport()["connection_error"],
            "MQTT connection to 127.0.0.1:" + std::to_string(server.port()) +
                " timed out (no CONNACK within connect_timeout_ms)");
  s->stop();
  EXPECT_LE(server.maxConcurrentMqtt(), 1) << "one attempt at a time";
}

TEST_F(BambuSession, AnUnknownHostNameIsNamedAndRetried) {
  PrinterSettings settings = loopbackPrinter(8883);
  settings.host = "no-such-printer.invalid";
  auto s = session(fastConfig(), settings);
  s->start();
  ASSERT_TRUE(host_.waitForStatusReports(1, 10000));
  const std::string error = lastReport()["connection_error"];
  // getaddrinfo's answer without DNS differs between machines; either way it names the host.
  EXPECT_TRUE(error.rfind("cannot resolve no-such-printer.invalid: ", 0) == 0 ||
              error == "looking up no-such-printer.invalid timed out")
      << error;
  ASSERT_TRUE(eventually([&] { return s->connectAttempts() >= 2; }, 10000));
  Clock::time_point stopping = Clock::now();
  s->stop();
  EXPECT_LT(msSince(stopping), 500) << "a lookup in progress never holds stop() up";
}

TEST_F(BambuSession, ALocalhostNameIsLookedUpAndConnects) {
  LocalTlsServer server(LocalTlsServer::Mode::MqttMute);
  PrinterSettings settings = loopbackPrinter(server.port());
  settings.host = "localhost";
  auto s = session(fastConfig(), settings);
  s->start();
  ASSERT_TRUE(eventually([&] { return server.mqttConnections() >= 1; }, 5000));
  s->stop();
}

TEST_F(BambuSession, ManySessionsShareTheLoopAndStopIndependently) {
  // Forty printers, every one refused: each one backs off on its own timer on the one loop, and
  // stopping half of them leaves the other half retrying.
  std::vector<std::unique_ptr<MqttSession>> sessions;
  for (int i = 0; i < 40; ++i) {
    sessions.push_back(session(fastConfig(), loopbackPrinter(closedPort())));
    sessions.back()->start();
  }
  for (auto& s : sessions) {
    ASSERT_TRUE(eventually([&] { return s->connectAttempts() >= 2; }, 5000));
  }
  for (size_t i = 0; i < sessions.size(); i += 2) {
    sessions[i]->stop();
  }
  std::vector<uint64_t> stopped_at;
  for (size_t i = 0; i < sessions.size(); i += 2) {
    stopped_at.push_back(sessions[i]->connectAttempts());
  }
  for (size_t i = 1; i < sessions.size(); i += 2) {
    uint64_t before = sessions[i]->connectAttempts();
    ASSERT_TRUE(eventually([&] { return sessions[i]->connectAttempts() > before; }, 5000)) << i;
  }
  for (size_t i = 0; i < sessions.size(); i += 2) {
    EXPECT_EQ(sessions[i]->connectAttempts(), stopped_at[i / 2]) << "stopped session " << i << " went on";
  }
  sessions.clear();
}

// Broken or hostile MQTT from something at the printer's address: a precise error, a backoff, and
// never a crash or a report of anything it sent.
class BambuSessionMqtt : public BambuSession,
                         public ::testing::WithParamInterface<std::pair<std::string, std::string>> {};

TEST_P(BambuSessionMqtt, AnswerIsNamed) {
  LocalTlsServer server(LocalTlsServer::Mode::MqttMute, GetParam().first);
  auto s = session(fastConfig(), loopbackPrinter(server.port()));
  s->start();
  ASSERT_TRUE(host_.waitForStatusReports(1, 5000));
  std::string expected = GetParam().second;
  const std::string port = std::to_string(server.port());
  if (auto at = expected.find("{port}"); at != std::string::npos) {
    expected.replace(at, 6, port);
  }
  EXPECT_EQ(lastReport()["connection_error"], expected);
  EXPECT_EQ(lastReport()["state"], "offline");
  s->stop();
}

std::string raw(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) {
    out.push_back(static_cast<char>(v));
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(
    Answers, BambuSessionMqtt,
    ::testing::Values(
        std::make_pair(raw({0x20, 2, 0, 5}), std::string("not authorized (check the access code)")),
        std::make_pair(raw({0x20, 2, 0, 4}),
                       std::string("bad user name or password (check the access code)")),
        std::make_pair(raw({0x30, 3, 0, 1, 't'}),
                       std::string("MQTT connection to 127.0.0.1:{port} failed: the printer answered CONNECT "
                                   "with something other than a CONNACK")),
        // Accepted, then packets whose length field is broken or huge: refused by the header alone.
        std::make_pair(
            raw({0x20, 2, 0, 0, 0x30, 0x80, 0x80, 0x80, 0x80 | 0x7f}),
            std::string("connection lost: malformed MQTT packet: remaining length longer than 4 bytes")),
        std::make_pair(
            raw({0x20, 2, 0, 0, 0x30, 0xff, 0xff, 0xff, 0x7f}),
            std::string("connection lost: MQTT packet of 268435455 bytes exceeds the limit of 4194304 "
                        "bytes")),
        // Accepted, then the subscription refused.
        std::make_pair(
            raw({0x20, 2, 0, 0, 0x90, 3, 0, 1, 0x80}),
            std::string("subscribing to device/01P00TEST000001/report failed: the printer refused the "
                        "subscription (check the serial number)"))));

} // namespace session_test
} // namespace bambuddy::printer_bambu::test
