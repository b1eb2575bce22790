// Self-test of the Bambu test harness: a real mosquitto broker (TLS + password file) and the
// printer simulator, observed and driven by a plain MQTT client exactly as a driver would.
#include "support/bambu_sim_process.h"
#include "support/mosquitto_broker.h"
#include "support/mqtt_test_client.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

namespace bambuddy::testing {
namespace bambu_sim_test {

using nlohmann::json;

const std::string kSerial = "01S00SIMTEST001";
constexpr int64_t kWaitMs = 10000;
constexpr int64_t kIntervalMs = 150;

int64_t wallNowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

json parsed(const MqttTestClient::Message& m) {
  return json::parse(m.payload, nullptr, false);
}

// A `print` report on `serial`'s report topic for which `match` holds.
std::function<bool(const MqttTestClient::Message&)>
printReport(const std::string& serial, std::function<bool(const json& print)> match) {
  return [serial, match](const MqttTestClient::Message& m) {
    if (m.topic != "device/" + serial + "/report") {
      return false;
    }
    json doc = parsed(m);
    return doc.is_object() && doc.contains("print") && doc["print"].is_object() && match(doc["print"]);
  };
}

std::function<bool(const json&)> pushStatusWith(const std::string& key, const json& value) {
  return [key, value](const json& p) {
    return p.value("command", "") == "push_status" && p.contains(key) && p[key] == value;
  };
}

std::string request(const std::string& section, const std::string& command, const std::string& sequence_id) {
  return json{{section, {{"sequence_id", sequence_id}, {"command", command}, {"param", ""}}}}.dump();
}

class BambuSimTest : public ::testing::Test {
protected:
  void SetUp() override {
    broker_ = std::make_unique<MosquittoBroker>(MosquittoBrokerOptions{"bblp", "acc355c0de"});
    broker_->start();
    client_ = std::make_unique<MqttTestClient>(endpoint(), "bambu-sim-test-observer");
    client_->connect();
    client_->subscribe("device/+/report", 0);
  }

  MqttEndpoint endpoint(const std::string& password = "") const {
    return MqttEndpoint{broker_->uri(), broker_->caFile(), "bblp",
                        password.empty() ? broker_->password() : password};
  }

  std::unique_ptr<BambuSimProcess> startSim(const std::vector<std::string>& extra = {},
                                            const std::string& serial = kSerial) {
    auto args = BambuSimProcess::argsFor(*broker_, serial, kIntervalMs);
    args.insert(args.end(), extra.begin(), extra.end());
    auto sim = std::make_unique<BambuSimProcess>(args);
    EXPECT_TRUE(sim->waitLine("ready", kWaitMs)) << sim->transcript();
    return sim;
  }

  // Sends a control line and expects the simulator's `ok <verb>`.
  void control(BambuSimProcess& sim, const std::string& line) {
    size_t from = sim.mark();
    ASSERT_TRUE(sim.send(line));
    std::string verb = line.substr(line[0] == '@' ? line.find(' ') + 1 : 0);
    verb = verb.substr(0, verb.find(' '));
    auto answer = sim.waitLineMatching(std::regex("^(ok|error) "), kWaitMs, from);
    ASSERT_TRUE(answer) << sim.transcript();
    ASSERT_EQ(*answer, "ok " + verb) << sim.transcript();
  }

  void publishRequest(const std::string& payload, const std::string& serial = kSerial) {
    client_->publish("device/" + serial + "/request", payload, 1);
  }

  std::unique_ptr<MosquittoBroker> broker_;
  std::unique_ptr<MqttTestClient> client_;
};

// The broker alone, without other MQTT clients in the process (see waitReady() on why that matters).
class MosquittoBrokerTest : public ::testing::Test {
protected:
  void SetUp() override {
    broker_ = std::make_unique<MosquittoBroker>(MosquittoBrokerOptions{"bblp", "acc355c0de"});
    broker_->start();
  }

  MqttEndpoint endpoint(const std::string& password = "") const {
    return MqttEndpoint{broker_->uri(), broker_->caFile(), "bblp",
                        password.empty() ? broker_->password() : password};
  }

  std::unique_ptr<MosquittoBroker> broker_;
};

TEST_F(MosquittoBrokerTest, BrokerAcceptsOnlyTheRightPasswordOverVerifiedTls) {
  auto good = probeMqttConnect(endpoint(), "probe-good", 3000);
  EXPECT_TRUE(good.ok) << good.message;

  const size_t refused_before = broker_->countInLog("not authorised");
  auto bad = probeMqttConnect(endpoint("wrong-code"), "probe-bad", 3000);
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.return_code, 5) << bad.message; // CONNACK 5: not authorized
  EXPECT_EQ(broker_->countInLog("not authorised"), refused_before + 1) << broker_->log();

  // Without the CA the chain check fails: the certificate really is ours, not a public one.
  MqttEndpoint no_ca = endpoint();
  no_ca.ca_file = "/etc/ssl/certs/ca-certificates.crt";
  EXPECT_FALSE(probeMqttConnect(no_ca, "probe-foreign-ca", 3000).ok);
}

TEST_F(MosquittoBrokerTest, BrokerFingerprintMatchesOpenssl) {
  auto r = runProcess(
      {"/usr/bin/openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", broker_->serverCertFile()});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  std::string expected;
  for (char c : r.stdout_text.substr(r.stdout_text.find('=') + 1)) {
    if (std::isxdigit(static_cast<unsigned char>(c))) {
      expected += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  EXPECT_EQ(expected.size(), 64u);
  EXPECT_EQ(broker_->serverCertFingerprintSha256(), expected);
}

TEST_F(MosquittoBrokerTest, BrokerStopsRestartsOnSamePortAndCleansUp) {
  const uint16_t port = broker_->port();
  const std::string dir = broker_->dir();
  broker_->stop();
  EXPECT_FALSE(broker_->running());
  EXPECT_FALSE(probeMqttConnect(endpoint(), "probe-down", 1000).ok);
  broker_->start();
  EXPECT_EQ(broker_->port(), port);
  EXPECT_TRUE(probeMqttConnect(endpoint(), "probe-up", 3000).ok);
  broker_.reset(); // kills the broker, removes its directory
  EXPECT_FALSE(std::filesystem::exists(dir));
  MqttEndpoint gone{"ssl://127.0.0.1:" + std::to_string(port), "", "bblp", "acc355c0de"};
  EXPECT_FALSE(probeMqttConnect(gone, "probe-gone", 1000).ok);
}

TEST(MosquittoBrokerStartTest, StartFailureReportsTheBrokerLog) {
  MosquittoBrokerOptions options;
  options.start_timeout_ms = 3000;
  MosquittoBroker broken(options);
  // A file where the broker expects its key makes mosquitto exit at once.
  broken.start();
  std::filesystem::remove(broken.dir() + "/server.key");
  std::filesystem::create_directory(broken.dir() + "/server.key");
  broken.stop();
  try {
    broken.start();
    FAIL() << "start() should have thrown";
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("mosquitto exited"), std::string::npos) << what;
    EXPECT_NE(what.find("server.key"), std::string::npos) << what; // the broker's own complaint
    EXPECT_EQ(what.find(options.password), std::string::npos);
  }
  EXPECT_FALSE(broken.running());
}

TEST_F(BambuSimTest, FullReportOnConnectAndOnPushall) {
  const size_t from = client_->mark();
  auto sim = startSim();
  auto first = client_->waitFor(printReport(kSerial, pushStatusWith("msg", 0)), kWaitMs, from);
  ASSERT_TRUE(first) << sim->transcript();

  const size_t before_pushall = client_->mark();
  publishRequest(request("pushing", "pushall", "7"));
  auto full = client_->waitFor(printReport(kSerial, pushStatusWith("msg", 0)), kWaitMs, before_pushall);
  ASSERT_TRUE(full);
  json print = parsed(*full)["print"];
  EXPECT_GT(print.size(), 60u) << "a full X1C report carries ~98 keys";
  EXPECT_EQ(print["gcode_state"], "IDLE");
  EXPECT_TRUE(print["sequence_id"].is_string());
  EXPECT_TRUE(print.contains("ams"));
  EXPECT_EQ(print["upgrade_state"]["sn"], kSerial);
  ASSERT_TRUE(print["_sim_sent_ms"].is_number_integer());
  EXPECT_LE(std::llabs(print["_sim_sent_ms"].get<int64_t>() - wallNowMs()), 10000);
  EXPECT_TRUE(sim->waitLine("request " + kSerial + " pushall", kWaitMs)) << sim->transcript();

  // Slicers send pushall with a trailing NUL; it still counts.
  const size_t before_nul = client_->mark();
  publishRequest(request("pushing", "pushall", "8") + std::string(1, '\0'));
  EXPECT_TRUE(client_->waitFor(printReport(kSerial, pushStatusWith("msg", 0)), kWaitMs, before_nul));
}

TEST_F(BambuSimTest, DeltasCarryOnlyChangedFieldsWithRisingSequence) {
  auto sim = startSim();
  const size_t from = client_->mark();
  std::vector<json> deltas;
  size_t next = from;
  while (deltas.size() < 4) {
    auto m = client_->waitFor(printReport(kSerial, pushStatusWith("msg", 1)), kWaitMs, next);
    ASSERT_TRUE(m) << sim->transcript();
    deltas.push_back(parsed(*m)["print"]);
    next = client_->mark();
  }
  for (size_t i = 0; i < deltas.size(); ++i) {
    EXPECT_LT(deltas[i].size(), 12u) << deltas[i].dump(); // a few changed fields, not a full report
    EXPECT_FALSE(deltas[i].contains("ams"));
    EXPECT_TRUE(deltas[i]["sequence_id"].is_string());
    EXPECT_TRUE(deltas[i].contains("_sim_sent_ms"));
    if (i > 0) {
      EXPECT_GT(std::stoll(deltas[i]["sequence_id"].get<std::string>()),
                std::stoll(deltas[i - 1]["sequence_id"].get<std::string>()));
    }
  }
}

TEST_F(BambuSimTest, PrintRunsThroughPrepareRunningToFinish) {
  auto sim = startSim();
  const size_t from = client_->mark();
  control(*sim, "start benchy.3mf 2.5 10 0.3");
  auto prepare =
      client_->waitFor(printReport(kSerial, pushStatusWith("gcode_state", "PREPARE")), kWaitMs, from);
  ASSERT_TRUE(prepare);
  json p = parsed(*prepare)["print"];
  EXPECT_EQ(p["gcode_file"], "benchy.3mf");
  EXPECT_EQ(p["subtask_name"], "benchy");
  EXPECT_EQ(p["total_layer_num"], 10);
  EXPECT_EQ(p["bed_target_temper"], 55.0);
  const std::string task_id = p["task_id"];
  EXPECT_NE(task_id, "0");

  ASSERT_TRUE(
      client_->waitFor(printReport(kSerial, pushStatusWith("gcode_state", "RUNNING")), kWaitMs, from));
  // Progress moves while RUNNING: some delta carries 0 < mc_percent < 100 and a layer number.
  auto progress = client_->waitFor(printReport(kSerial,
                                               [](const json& d) {
                                                 return d.contains("mc_percent") && d["mc_percent"] > 0 &&
                                                        d["mc_percent"] < 100 && d.contains("layer_num");
                                               }),
                                   kWaitMs, from);
  ASSERT_TRUE(progress);
  auto finish =
      client_->waitFor(printReport(kSerial, pushStatusWith("gcode_state", "FINISH")), kWaitMs, from);
  ASSERT_TRUE(finish) << sim->transcript();
  EXPECT_EQ(parsed(*finish)["print"]["mc_percent"], 100);
  EXPECT_TRUE(sim->waitLine("state " + kSerial + " FINISH", kWaitMs));
  // A delta holds only what changed, so read the finished job from a full report.
  const size_t after_finish = client_->mark();
  publishRequest(request("pushing", "pushall", "3"));
  auto full = client_->waitFor(printReport(kSerial, pushStatusWith("msg", 0)), kWaitMs, after_finish);
  ASSERT_TRUE(full);
  json f = parsed(*full)["print"];
  EXPECT_EQ(f["gcode_state"], "FINISH");
  EXPECT_EQ(f["mc_percent"], 100);
  EXPECT_EQ(f["mc_remaining_time"], 0);
  EXPECT_EQ(f["layer_num"], 10);
  EXPECT_EQ(f["3D"]["layer_num"], 10); // X1 firmware repeats the counters there

  // The next job gets a new id; a full report shows the whole finished state persists until then.
  const size_t again = client_->mark();
  control(*sim, "start second.gcode.3mf 60");
  auto next =
      client_->waitFor(printReport(kSerial, pushStatusWith("gcode_state", "PREPARE")), kWaitMs, again);
  ASSERT_TRUE(next);
  EXPECT_NE(parsed(*next)["print"]["task_id"], task_id);
  EXPECT_EQ(parsed(*next)["print"]["subtask_name"], "second");
}

TEST_F(BambuSimTest, PauseResumeStopAreAcknowledgedAndChangeState) {
  auto sim = startSim();
  const size_t from = client_->mark();
  control(*sim, "start cube.3mf 60 100 0.1");
  ASSERT_TRUE(
      client_->waitFor(printReport(kSerial, pushStatusWith("gcode_state", "RUNNING")), kWaitMs, from));

  struct Step {
    std::string command, sequence_id, expected_state;
  };
  for (const Step& step :
       {Step{"pause", "101", "PAUSE"}, Step{"resume", "102", "RUNNING"}, Step{"stop", "103", "FAILED"}}) {
    SCOPED_TRACE(step.command);
    const size_t mark = client_->mark();
    const size_t sim_mark = sim->mark();
    publishRequest(request("print", step.command, step.sequence_id));
    auto ack = client_->waitFor(printReport(kSerial,
                                            [&](const json& p) {
                                              return p.value("command", "") == step.command &&
                                                     p.value("sequence_id", "") == step.sequence_id;
                                            }),
                                kWaitMs, mark);
    ASSERT_TRUE(ack);
    EXPECT_EQ(parsed(*ack)["print"]["result"], "SUCCESS");
    auto state = client_->waitFor(printReport(kSerial, pushStatusWith("gcode_state", step.expected_state)),
                                  kWaitMs, mark);
    ASSERT_TRUE(state);
    if (step.command == "stop") {
      EXPECT_EQ(parsed(*state)["print"]["print_error"], 50348044); // 0x0300400C: task cancelled
      EXPECT_EQ(parsed(*state)["print"]["mc_print_error_code"], "16396");
    }
    if (step.command == "pause") {
      EXPECT_EQ(parsed(*state)["print"]["mc_print_stage"], "3");
    }
    EXPECT_TRUE(sim->waitLine("request " + kSerial + " " + step.command, kWaitMs, sim_mark));
    EXPECT_TRUE(sim->waitLine("state " + kSerial + " " + step.expected_state, kWaitMs, sim_mark));
  }

  // A command that does not fit the state is refused and changes nothing.
  const size_t mark = client_->mark();
  publishRequest(request("print", "resume", "104"));
  auto refusal = client_->waitFor(
      printReport(kSerial, [](const json& p) { return p.value("sequence_id", "") == "104"; }), kWaitMs, mark);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(parsed(*refusal)["print"]["result"], "FAIL");
  const size_t after = client_->mark();
  publishRequest(request("pushing", "pushall", "105"));
  auto full = client_->waitFor(printReport(kSerial, pushStatusWith("msg", 0)), kWaitMs, after);
  ASSERT_TRUE(full);
  EXPECT_EQ(parsed(*full)["print"]["gcode_state"], "FAILED");
}

TEST_F(BambuSimTest, GetVersionIsAnsweredWithTheModelsModules) {
  auto sim = startSim({"--model", "a1"});
  const size_t from = client_->mark();
  publishRequest(request("info", "get_version", "55"));
  auto reply = client_->waitFor(
      [](const MqttTestClient::Message& m) {
        json doc = parsed(m);
        return doc.is_object() && doc.contains("info");
      },
      kWaitMs, from);
  ASSERT_TRUE(reply);
  json info = parsed(*reply)["info"];
  EXPECT_EQ(info["command"], "get_version");
  EXPECT_EQ(info["sequence_id"], "55");
  ASSERT_TRUE(info["module"].is_array());
  auto ota = std::find_if(info["module"].begin(), info["module"].end(),
                          [](const json& m) { return m.value("name", "") == "ota"; });
  ASSERT_NE(ota, info["module"].end());
  EXPECT_EQ((*ota)["sn"], kSerial);
  EXPECT_EQ((*ota)["sw_ver"], "01.05.00.00"); // the A1 capture's firmware
}

TEST_F(BambuSimTest, FailHmsAndPauseErrorComeFromThePrinterSide) {
  auto sim = startSim();
  size_t from = client_->mark();
  control(*sim, "start part.3mf 60 50 0.1");
  ASSERT_TRUE(
      client_->waitFor(printReport(kSerial, pushStatusWith("gcode_state", "RUNNING")), kWaitMs, from));

  from = client_->mark();
  control(*sim, "hms 0x05000500 0x00010007");
  auto hms =
      client_->waitFor(printReport(kSerial, [](const json& p) { return p.contains("hms"); }), kWaitMs, from);
  ASSERT_TRUE(hms);
  EXPECT_EQ(parsed(*hms)["print"]["hms"], json::parse(R"([{"attr":83887360,"code":65543}])"));

  from = client_->mark();
  control(*sim, "pause_error");
  auto paused = client_->waitFor(printReport(kSerial, pushStatusWith("gcode_state", "PAUSE")), kWaitMs, from);
  ASSERT_TRUE(paused);
  EXPECT_EQ(parsed(*paused)["print"]["print_error"], 83918908);

  from = client_->mark();
  control(*sim, "fail 0x07008004");
  auto failed =
      client_->waitFor(printReport(kSerial, pushStatusWith("gcode_state", "FAILED")), kWaitMs, from);
  ASSERT_TRUE(failed);
  EXPECT_EQ(parsed(*failed)["print"]["print_error"], 0x07008004);

  from = client_->mark();
  control(*sim, "clear_hms");
  auto cleared = client_->waitFor(printReport(kSerial, pushStatusWith("hms", json::array())), kWaitMs, from);
  EXPECT_TRUE(cleared);
}

TEST_F(BambuSimTest, SilenceStopsAllPublishingUntilTurnedOff) {
  auto sim = startSim();
  ASSERT_TRUE(client_->waitFor(printReport(kSerial, pushStatusWith("msg", 1)), kWaitMs, client_->mark()));
  control(*sim, "silence on");
  const size_t silent_from = client_->mark();
  // A report sent just before the simulator read `silence on` may still be on its way: only
  // reports stamped after the simulator confirmed the silence count.
  const int64_t silent_since_ms = wallNowMs();
  // Requests are still seen (stdout) but neither answered nor followed by reports.
  const size_t sim_mark = sim->mark();
  publishRequest(request("pushing", "pushall", "9"));
  ASSERT_TRUE(sim->waitLine("request " + kSerial + " pushall", kWaitMs, sim_mark));
  EXPECT_FALSE(client_->waitFor(
      printReport(kSerial,
                  [&](const json& p) { return p.value("_sim_sent_ms", int64_t{0}) >= silent_since_ms; }),
      kIntervalMs * 6, silent_from))
      << "published while silent";

  control(*sim, "silence off");
  EXPECT_TRUE(client_->waitFor(printReport(kSerial, pushStatusWith("msg", 1)), kWaitMs, silent_from));
}

TEST_F(BambuSimTest, SimulatorReconnectsAfterBrokerRestart) {
  auto sim = startSim();
  const size_t sim_mark = sim->mark();
  broker_->restart();
  ASSERT_TRUE(sim->waitLine("disconnected " + kSerial, kWaitMs, sim_mark)) << sim->transcript();
  ASSERT_TRUE(sim->waitLine("connected " + kSerial, kWaitMs, sim_mark)) << sim->transcript();
  ASSERT_TRUE(client_->reconnect(kWaitMs));

  const size_t from = client_->mark();
  publishRequest(request("pushing", "pushall", "11"));
  EXPECT_TRUE(client_->waitFor(printReport(kSerial, pushStatusWith("msg", 0)), kWaitMs, from));
  EXPECT_TRUE(client_->waitFor(printReport(kSerial, pushStatusWith("msg", 1)), kWaitMs, from));
  size_t stats_mark = sim->mark();
  ASSERT_TRUE(sim->send("stats"));
  auto stats = sim->waitLine("stats ", kWaitMs, stats_mark);
  ASSERT_TRUE(stats);
  EXPECT_NE(stats->find("reconnects=1"), std::string::npos) << *stats;
}

TEST_F(BambuSimTest, SimulatorWithWrongPasswordIsRefusedAndKeepsTrying) {
  auto args = BambuSimProcess::argsFor(*broker_, kSerial, kIntervalMs);
  auto pw = std::find(args.begin(), args.end(), "--password");
  *(pw + 1) = "not-the-code";
  BambuSimProcess sim(args);
  ASSERT_TRUE(sim.waitLine("connect_failed " + kSerial + " rc=5", kWaitMs)) << sim.transcript();
  ASSERT_TRUE(sim.waitLineMatching(std::regex("connect_failed"), kWaitMs, sim.mark())) << sim.transcript();
  EXPECT_EQ(sim.countLines("ready"), 0u);
  EXPECT_GE(broker_->countInLog("not authorised"), 2u);
  EXPECT_EQ(sim.transcript().find("not-the-code"), std::string::npos); // the code never shows up
  EXPECT_EQ(sim.quit(), 0);
}

TEST_F(BambuSimTest, ManyPrintersInOneProcessAreAddressedByAtSerial) {
  const size_t from = client_->mark();
  auto args = BambuSimProcess::argsFor(*broker_, kSerial, kIntervalMs);
  auto serial = std::find(args.begin(), args.end(), "--serial");
  args.erase(serial, serial + 2);
  args.insert(args.end(), {"--count", "3", "--serial-prefix", "FLEET"});
  BambuSimProcess sim(args);
  ASSERT_TRUE(sim.waitLine("ready", kWaitMs)) << sim.transcript();
  const std::vector<std::string> serials = {"FLEET0000000001", "FLEET0000000002", "FLEET0000000003"};
  for (const auto& s : serials) {
    EXPECT_TRUE(client_->waitFor(printReport(s, pushStatusWith("msg", 0)), kWaitMs, from)) << s;
  }
  const size_t before = client_->mark();
  control(sim, "@FLEET0000000002 start one.3mf 60");
  EXPECT_TRUE(
      client_->waitFor(printReport(serials[1], pushStatusWith("gcode_state", "PREPARE")), kWaitMs, before));
  // The others stay idle: a pushall each shows it.
  for (const auto& s : {serials[0], serials[2]}) {
    const size_t mark = client_->mark();
    publishRequest(request("pushing", "pushall", "1"), s);
    auto full = client_->waitFor(printReport(s, pushStatusWith("msg", 0)), kWaitMs, mark);
    ASSERT_TRUE(full) << s;
    EXPECT_EQ(parsed(*full)["print"]["gcode_state"], "IDLE") << s;
  }
}

TEST_F(BambuSimTest, BadInputGetsPreciseErrorsAndNeverStopsTheSimulator) {
  auto sim = startSim();
  struct Case {
    std::string line, expected_prefix;
  };
  for (const Case& c :
       {Case{"start", "error start usage"}, Case{"start x.3mf -5", "error start usage"},
        Case{"hms 1", "error hms usage"}, Case{"hms 0x1 nope", "error hms usage"},
        Case{"fail 0", "error fail usage"}, Case{"fail", "error fail " + kSerial + ": no job"},
        Case{"silence maybe", "error silence"}, Case{"@NOPE start a 1", "error unknown printer NOPE"},
        Case{"frobnicate", "error frobnicate unknown command"}}) {
    const size_t mark = sim->mark();
    ASSERT_TRUE(sim->send(c.line));
    auto answer = sim->waitLineMatching(std::regex("^(ok|error) "), kWaitMs, mark);
    ASSERT_TRUE(answer) << c.line;
    EXPECT_EQ(answer->rfind(c.expected_prefix, 0), 0u) << c.line << " -> " << *answer;
  }
  // Garbage on the request topic: counted as invalid, the printer keeps working.
  for (const std::string& payload :
       {std::string("not json"), std::string("[]"), std::string("{\"print\":5}"),
        std::string("{\"print\":{\"command\":\"project_file\",\"url\":7}}"), std::string("\xff\xfe{")}) {
    const size_t mark = sim->mark();
    publishRequest(payload);
    EXPECT_TRUE(sim->waitLine("request " + kSerial, kWaitMs, mark)) << payload;
  }
  const size_t from = client_->mark();
  publishRequest(request("pushing", "pushall", "12"));
  EXPECT_TRUE(client_->waitFor(printReport(kSerial, pushStatusWith("msg", 0)), kWaitMs, from));
  EXPECT_TRUE(sim->running());
  EXPECT_EQ(sim->quit(), 0);
  EXPECT_TRUE(sim->waitLine("bye", kWaitMs));
}

TEST_F(BambuSimTest, FixtureDirReplacesTheBuiltInCaptures) {
  TempDir fixtures;
  fixtures.write("custom-pushall-idle.json",
                 R"({"print":{"command":"push_status","msg":0,"sequence_id":"41","gcode_state":"FINISH",)"
                 R"("bed_temper":20,"nozzle_temper":21,"wifi_signal":"-60dBm","custom_marker":"kept"}})");
  fixtures.write("custom-get-version.json",
                 R"({"info":{"command":"get_version","module":[{"name":"ota","sw_ver":"09.09.09.09"}]}})");
  const size_t from = client_->mark();
  auto sim = startSim({"--model", "custom", "--fixture-dir", fixtures.path()});
  auto full = client_->waitFor(printReport(kSerial, pushStatusWith("msg", 0)), kWaitMs, from);
  ASSERT_TRUE(full) << sim->transcript();
  json print = parsed(*full)["print"];
  EXPECT_EQ(print["custom_marker"], "kept");
  EXPECT_EQ(print["sequence_id"], "42");   // the printer's counter continues from the capture's
  EXPECT_EQ(print["gcode_state"], "IDLE"); // a simulated printer always starts idle
  // Even a capture this small can run a job.
  control(*sim, "start tiny.3mf 1 5 0.2");
  EXPECT_TRUE(client_->waitFor(printReport(kSerial, pushStatusWith("gcode_state", "FINISH")), kWaitMs, from));

  const size_t before = client_->mark();
  publishRequest(request("info", "get_version", "3"));
  auto reply = client_->waitFor([](const MqttTestClient::Message& m) { return parsed(m).contains("info"); },
                                kWaitMs, before);
  ASSERT_TRUE(reply);
  EXPECT_EQ(parsed(*reply)["info"]["module"][0]["sw_ver"], "09.09.09.09");
  EXPECT_EQ(parsed(*reply)["info"]["module"][0]["sn"], kSerial);
}

TEST_F(BambuSimTest, QuitsCleanlyWhileTheBrokerIsDown) {
  auto sim = startSim();
  const size_t mark = sim->mark();
  client_->disconnect();
  broker_->stop();
  ASSERT_TRUE(sim->waitLine("disconnected " + kSerial, kWaitMs, mark)) << sim->transcript();
  ASSERT_TRUE(sim->waitLine("connect_failed " + kSerial, kWaitMs, mark)) << sim->transcript();
  EXPECT_EQ(sim->quit(), 0) << sim->transcript();
  EXPECT_TRUE(sim->waitLine("bye", kWaitMs, mark));
}

TEST(BambuSimCli, RejectsABrokenFixture) {
  TempDir fixtures;
  fixtures.write("bad-pushall-idle.json", "{\"print\": [1, 2");
  fixtures.write("bad-get-version.json", "{}");
  auto r = runProcess({bambuPrinterSimBinary(), "--port", "1", "--insecure", "--serial", "A", "--password",
                       "x", "--model", "bad", "--fixture-dir", fixtures.path()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("fixture bad-pushall-idle.json is not valid JSON"), std::string::npos)
      << r.stderr_text;
  fixtures.write("bad-pushall-idle.json", "{\"print\": {}}");
  r = runProcess({bambuPrinterSimBinary(), "--port", "1", "--insecure", "--serial", "A", "--password", "x",
                  "--model", "bad", "--fixture-dir", fixtures.path()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("fixture bad-get-version.json has no 'info' object"), std::string::npos)
      << r.stderr_text;
}

TEST(BambuSimCli, RejectsBadOptionsWithUsage) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c :
       {Case{{}, "--port is required"},
        Case{{"--port", "1883", "--serial", "A"}, "exactly one of --cafile and --insecure"},
        Case{{"--port", "99999", "--insecure", "--serial", "A"}, "--port needs an integer"},
        Case{{"--port", "1", "--insecure", "--serial", "a/b", "--password", "x"}, "may only contain"},
        Case{{"--port", "1", "--insecure", "--count", "2", "--serial", "A", "--password", "x"},
             "either --serial or --count"},
        Case{{"--port", "1", "--insecure", "--serial", "A", "--password", "x", "--model", "zz"},
             "no built-in fixture zz-pushall-idle.json"},
        Case{{"--bogus"}, "unknown option '--bogus'"}}) {
    std::vector<std::string> argv{bambuPrinterSimBinary()};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    auto r = runProcess(argv, {{"BAMBU_SIM_PASSWORD", ""}});
    EXPECT_EQ(r.exit_code, 2) << c.message;
    EXPECT_NE(r.stderr_text.find(c.message), std::string::npos) << r.stderr_text;
    EXPECT_NE(r.stderr_text.find("usage:"), std::string::npos);
  }
}

} // namespace bambu_sim_test
} // namespace bambuddy::testing
