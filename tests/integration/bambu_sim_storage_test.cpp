// The simulator's printer storage: project_file prints the 3MF it names from the printer's storage
// directory (or refuses it the way a printer does), and stdin `start <serial>` puts a 3MF there
// first. Real mosquitto, the real simulator binary, real files in temp dirs.
#include "support/bambu_sim_process.h"
#include "support/mosquitto_broker.h"
#include "support/mqtt_test_client.h"
#include "support/server_process.h"
#include "support/temp_dir.h"
#include "support/three_mf_sample.h"

#include "archives/three_mf.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace bambuddy::testing {
namespace bambu_sim_storage_test {

using nlohmann::json;

const std::string kSerial = "01S00SIMSTORE01";
constexpr int64_t kWaitMs = 10000;
constexpr int64_t kIntervalMs = 150;

json parsed(const MqttTestClient::Message& m) {
  return json::parse(m.payload, nullptr, false);
}

std::function<bool(const MqttTestClient::Message&)> printReport(std::function<bool(const json&)> match) {
  return [match](const MqttTestClient::Message& m) {
    if (m.topic != "device/" + kSerial + "/report") {
      return false;
    }
    json doc = parsed(m);
    return doc.is_object() && doc.contains("print") && doc["print"].is_object() && match(doc["print"]);
  };
}

std::function<bool(const json&)> stateIs(const std::string& state) {
  return [state](const json& p) {
    return p.value("command", "") == "push_status" && p.value("gcode_state", "") == state;
  };
}

std::function<bool(const json&)> ackOf(const std::string& command, const std::string& sequence_id) {
  return [command, sequence_id](const json& p) {
    return p.value("command", "") == command && p.value("sequence_id", "") == sequence_id &&
           p.contains("result");
  };
}

std::string md5Of(const std::string& bytes, bool upper) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_md5(), nullptr);
  std::string hex;
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  for (unsigned int i = 0; i < length; ++i) {
    hex += digits[digest[i] >> 4];
    hex += digits[digest[i] & 0x0f];
  }
  return hex;
}

// A project_file request as the driver sends it (contract E), with fields to override.
json projectFile(const std::string& sequence_id, const std::string& url, int plate, const std::string& md5) {
  return json{{"print",
               {{"command", "project_file"},
                {"sequence_id", sequence_id},
                {"param", "Metadata/plate_" + std::to_string(plate) + ".gcode"},
                {"url", url},
                {"file", url.substr(url.find_last_of('/') + 1)},
                {"md5", md5},
                {"subtask_name", "Job " + sequence_id},
                {"project_id", "0"},
                {"profile_id", "0"},
                {"task_id", "0"},
                {"subtask_id", "0"},
                {"bed_type", "auto"},
                {"timelapse", false},
                {"bed_leveling", true},
                {"flow_cali", false},
                {"vibration_cali", true},
                {"layer_inspect", false},
                {"use_ams", true},
                {"ams_mapping", json::array({0, 1, -1})}}}};
}

class BambuSimStorageTest : public ::testing::Test {
protected:
  void SetUp() override {
    broker_ = std::make_unique<MosquittoBroker>(MosquittoBrokerOptions{"bblp", "acc355c0de"});
    broker_->start();
    client_ = std::make_unique<MqttTestClient>(
        MqttEndpoint{broker_->uri(), broker_->caFile(), "bblp", broker_->password()}, "bambu-storage-test");
    client_->connect();
    client_->subscribe("device/+/report", 0);
  }

  // --time-scale 0.001: a 2 h plate prints in 7.2 s.
  std::unique_ptr<BambuSimProcess> startSim(bool with_storage = true,
                                            const std::string& time_scale = "0.001") {
    auto args = BambuSimProcess::argsFor(*broker_, kSerial, kIntervalMs);
    if (with_storage) {
      args.insert(args.end(), {"--storage-dir", storage_.path()});
    }
    args.insert(args.end(), {"--time-scale", time_scale});
    auto sim = std::make_unique<BambuSimProcess>(args);
    EXPECT_TRUE(sim->waitLine("ready", kWaitMs)) << sim->transcript();
    return sim;
  }

  std::string card() const { return storage_.path() + "/" + kSerial; }

  std::optional<MqttTestClient::Message> send(const json& request,
                                              const std::function<bool(const json&)>& match, size_t from) {
    client_->publish("device/" + kSerial + "/request", request.dump(), 1);
    return client_->waitFor(printReport(match), kWaitMs, from);
  }

  // The printer's state from a full report.
  std::string stateNow() {
    const size_t from = client_->mark();
    auto full = send(
        json{{"pushing", {{"command", "pushall"}, {"sequence_id", "1"}}}},
        [](const json& p) { return p.value("msg", -1) == 0; }, from);
    return full ? parsed(*full)["print"].value("gcode_state", "?") : "no report";
  }

  // Sends a control line and returns the simulator's `ok`/`error` answer to it.
  std::string control(BambuSimProcess& sim, const std::string& line) {
    const size_t from = sim.mark();
    EXPECT_TRUE(sim.send(line));
    auto answer = sim.waitLineMatching(std::regex("^(ok|error) "), kWaitMs, from);
    return answer ? *answer : "no answer";
  }

  TempDir storage_;
  TempDir elsewhere_;
  std::unique_ptr<MosquittoBroker> broker_;
  std::unique_ptr<MqttTestClient> client_;
};

TEST_F(BambuSimStorageTest, ProjectFileOfAStoredFileAcksThenPrintsThePlate) {
  auto sim = startSim();
  ASSERT_TRUE(std::filesystem::is_directory(card() + "/cache")) << "created at start";
  const std::string bytes = sampleThreeMf("Benchy", 7200, 12.5);
  storage_.write(kSerial + "/Benchy.3mf", bytes);

  json request = projectFile("2001", "ftp://Benchy.3mf", 1, md5Of(bytes, true)); // upper case md5
  request["print"]["subtask_name"] = "Benchy for the farm";
  request["print"]["timelapse"] = true;
  request["print"]["ams_mapping"] = json::array({2});
  const size_t from = client_->mark();
  const size_t sim_from = sim->mark();
  auto ack = send(request, ackOf("project_file", "2001"), from);
  ASSERT_TRUE(ack) << sim->transcript();
  EXPECT_EQ(parsed(*ack)["print"]["result"], "SUCCESS");

  auto prepare = client_->waitFor(printReport(stateIs("PREPARE")), kWaitMs, from);
  ASSERT_TRUE(prepare) << sim->transcript();
  json p = parsed(*prepare)["print"];
  EXPECT_EQ(p["subtask_name"], "Benchy for the farm");
  EXPECT_EQ(p["gcode_file"], "/data/Metadata/plate_1.gcode");
  EXPECT_EQ(p["ipcam"]["timelapse"], "enable");
  EXPECT_EQ(p["ams"]["tray_now"], "2");
  EXPECT_EQ(p["mc_remaining_time"], 120); // the plate's 7200 s, in printed minutes

  auto running = client_->waitFor(printReport(stateIs("RUNNING")), kWaitMs, from);
  ASSERT_TRUE(running) << sim->transcript();
  // Printed time runs down at 1000x: some report while RUNNING shows less left and progress made.
  auto progress = client_->waitFor(printReport([](const json& r) {
                                     return r.contains("mc_remaining_time") && r["mc_remaining_time"] < 120 &&
                                            r["mc_remaining_time"] > 0 && r.value("mc_percent", 0) > 0;
                                   }),
                                   kWaitMs, from);
  EXPECT_TRUE(progress) << sim->transcript();
  auto line = sim->waitLine("project_file " + kSerial + " SUCCESS", kWaitMs, sim_from);
  ASSERT_TRUE(line);
  EXPECT_EQ(*line,
            "project_file " + kSerial +
                " SUCCESS /Benchy.3mf plate=1 duration_s=7.200 layers=50 prediction_s=7200 weight_g=12.50");

  auto finish = client_->waitFor(printReport(stateIs("FINISH")), 20000, from);
  ASSERT_TRUE(finish) << sim->transcript();
  EXPECT_EQ(parsed(*finish)["print"]["mc_percent"], 100);
  // The job's options end with it.
  const size_t after = client_->mark();
  auto full = send(
      json{{"pushing", {{"command", "pushall"}, {"sequence_id", "9"}}}},
      [](const json& r) { return r.value("msg", -1) == 0; }, after);
  ASSERT_TRUE(full);
  EXPECT_EQ(parsed(*full)["print"]["ipcam"]["timelapse"], "disable");
  EXPECT_EQ(parsed(*full)["print"]["subtask_name"], "Benchy for the farm");
}

TEST_F(BambuSimStorageTest, EveryUrlFormNamesTheSameStorage) {
  auto sim = startSim(true, "0.1"); // 60 s per job: long enough to be busy
  const std::string bytes = sampleThreeMf("Cube", 600, 3);
  storage_.write(kSerial + "/cache/Cube.3mf", bytes);
  json template_request = projectFile("0", "", 1, "");
  template_request["print"]["url"] = "file:///mnt/sdcard";
  template_request["print"]["file"] = "cache/Cube.3mf";
  int sequence = 3000;
  for (json request :
       {projectFile("", "ftp:///cache/Cube.3mf", 1, ""), projectFile("", "ftp://cache/Cube.3mf", 1, ""),
        projectFile("", "file:///mnt/sdcard/cache/Cube.3mf", 1, md5Of(bytes, false)),
        projectFile("", "/cache/Cube.3mf", 1, ""), template_request}) {
    const std::string id = std::to_string(++sequence);
    request["print"]["sequence_id"] = id;
    SCOPED_TRACE(request["print"]["url"].get<std::string>());
    const size_t from = client_->mark();
    auto ack = send(request, ackOf("project_file", id), from);
    ASSERT_TRUE(ack) << sim->transcript();
    EXPECT_EQ(parsed(*ack)["print"]["result"], "SUCCESS") << parsed(*ack).dump();
    ASSERT_TRUE(client_->waitFor(printReport(stateIs("PREPARE")), kWaitMs, from));
    // While it prints, another start is refused: the printer is busy.
    json again = request;
    again["print"]["sequence_id"] = id + "0";
    auto busy = send(again, ackOf("project_file", id + "0"), from);
    ASSERT_TRUE(busy);
    EXPECT_EQ(parsed(*busy)["print"]["result"], "FAIL");
    EXPECT_EQ(parsed(*busy)["print"]["reason"].get<std::string>().rfind("busy (", 0), 0u);
    auto stop =
        send(json{{"print", {{"command", "stop"}, {"sequence_id", id + "1"}}}}, stateIs("FAILED"), from);
    ASSERT_TRUE(stop) << sim->transcript();
  }
}

TEST_F(BambuSimStorageTest, RefusedFilesAnswerFailAndLeaveThePrinterIdle) {
  auto sim = startSim();
  const std::string good = sampleThreeMf("Good", 600, 3);
  storage_.write(kSerial + "/Good.3mf", good);
  storage_.write(kSerial + "/cache/Noise.3mf", std::string(4096, 'x'));
  // A valid 3MF right outside this printer's storage: reaching it would be an escape.
  storage_.write("Outside.3mf", good);
  storage_.write(kSerial + "-other/Outside.3mf", good);
  std::filesystem::create_symlink(storage_.path() + "/Outside.3mf", card() + "/cache/Link.3mf");
  std::filesystem::create_directory_symlink(storage_.path(), card() + "/up");

  struct Case {
    json request;
    std::string reason_prefix;
  };
  const std::vector<Case> cases = {
      {projectFile("", "ftp://Good.3mf", 1, md5Of("something else", false)), "md5 mismatch for /Good.3mf"},
      {projectFile("", "ftp://Missing.3mf", 1, ""), "file not found: /Missing.3mf"},
      {projectFile("", "ftp://Good.3mf", 2, ""), "plate 2 is not in /Good.3mf (sliced plates: 1)"},
      {projectFile("", "ftp://cache/Noise.3mf", 1, ""), "not a valid 3mf: /cache/Noise.3mf"},
      {projectFile("", "ftp://../Outside.3mf", 1, ""),
       "refused: the path '../Outside.3mf' leaves the storage"},
      {projectFile("", "file:///mnt/sdcard/cache/../../Outside.3mf", 1, ""), "refused: the path"},
      {projectFile("", "ftp://../" + kSerial + "-other/Outside.3mf", 1, ""), "refused: the path"},
      {projectFile("", "ftp:///" + storage_.path() + "/Outside.3mf", 1, ""), "file not found: /"},
      {projectFile("", "ftp://cache/Link.3mf", 1, ""),
       "refused: /cache/Link.3mf is or passes through a symbolic link"},
      {projectFile("", "ftp://up/Outside.3mf", 1, ""),
       "refused: /up/Outside.3mf is or passes through a symbolic link"},
      {projectFile("", "http://example.com/Good.3mf", 1, ""), "unsupported url"},
      {projectFile("", "ftp://cache", 1, ""), "not a file: /cache"},
      {projectFile("", "ftp://", 1, ""), "the request names no file"},
  };
  int sequence = 4000;
  for (Case c : cases) {
    const std::string id = std::to_string(++sequence);
    c.request["print"]["sequence_id"] = id;
    SCOPED_TRACE(c.request["print"]["url"].get<std::string>());
    const size_t from = client_->mark();
    const size_t sim_from = sim->mark();
    auto ack = send(c.request, ackOf("project_file", id), from);
    ASSERT_TRUE(ack) << sim->transcript();
    json a = parsed(*ack)["print"];
    EXPECT_EQ(a["result"], "FAIL");
    EXPECT_EQ(a["reason"].get<std::string>().rfind(c.reason_prefix, 0), 0u) << a["reason"];
    EXPECT_TRUE(sim->waitLine("project_file " + kSerial + " FAIL " + c.reason_prefix, kWaitMs, sim_from))
        << sim->transcript();
  }
  // A param that names no plate.
  json bad_param = projectFile("4100", "ftp://Good.3mf", 1, "");
  bad_param["print"]["param"] = "Metadata/plate_1.gcode/../x";
  auto ack = send(bad_param, ackOf("project_file", "4100"), client_->mark());
  ASSERT_TRUE(ack);
  EXPECT_EQ(parsed(*ack)["print"]["reason"].get<std::string>().rfind("invalid param", 0), 0u);

  EXPECT_EQ(stateNow(), "IDLE"); // nothing started, nothing failed
  EXPECT_EQ(sim->countLines("state " + kSerial), 0u) << sim->transcript();
}

TEST_F(BambuSimStorageTest, StdinStartPlacesTheFileInCacheAndPrintsIt) {
  auto sim = startSim();
  const std::string bytes = sampleThreeMf("Fidget", 3600, 8.25);
  const std::string source = elsewhere_.write("Fidget.3mf", bytes);
  size_t from = client_->mark();
  size_t sim_from = sim->mark();
  ASSERT_EQ(control(*sim, "start " + kSerial + " " + source), "ok start") << sim->transcript();
  EXPECT_EQ(readFile(card() + "/cache/Fidget.3mf"), bytes);
  auto started = sim->waitLine("started " + kSerial, kWaitMs, sim_from);
  ASSERT_TRUE(started);
  EXPECT_EQ(*started,
            "started " + kSerial +
                " /cache/Fidget.3mf plate=1 duration_s=3.600 layers=50 prediction_s=3600 weight_g=8.25");
  auto prepare = client_->waitFor(printReport(stateIs("PREPARE")), kWaitMs, from);
  ASSERT_TRUE(prepare);
  EXPECT_EQ(parsed(*prepare)["print"]["subtask_name"], "Fidget");
  EXPECT_EQ(parsed(*prepare)["print"]["gcode_file"], "/data/Metadata/plate_1.gcode");
  EXPECT_EQ(parsed(*prepare)["print"]["print_type"], "local");
  // Busy: a second start is refused and puts nothing on the card.
  const std::string other = elsewhere_.write("Other.3mf", bytes);
  EXPECT_EQ(control(*sim, "start " + kSerial + " " + other).rfind("error start " + kSerial + ": busy (", 0),
            0u);
  EXPECT_FALSE(std::filesystem::exists(card() + "/cache/Other.3mf"));
  ASSERT_TRUE(client_->waitFor(printReport(stateIs("FINISH")), 20000, from)) << sim->transcript();

  // Without a file the simulator makes one: a sliced 3MF the server's reader takes in full.
  from = client_->mark();
  ASSERT_EQ(control(*sim, "@" + kSerial + " start " + kSerial), "ok start") << sim->transcript();
  auto generated = client_->waitFor(printReport(stateIs("PREPARE")), kWaitMs, from);
  ASSERT_TRUE(generated);
  EXPECT_EQ(parsed(*generated)["print"]["subtask_name"], "SimPrint-1");
  auto metadata = archives::parseThreeMfFile(card() + "/cache/SimPrint-1.3mf");
  ASSERT_EQ(metadata.plates.size(), 1u);
  EXPECT_EQ(metadata.plates[0].print_time_s, 60000); // --job-duration-s 60 at --time-scale 0.001
  EXPECT_EQ(metadata.plates[0].weight_g, 7.5);
  EXPECT_TRUE(metadata.plates[0].gcode_entry);
  EXPECT_TRUE(metadata.thumbnail_png) << metadata.warnings.size();
  EXPECT_TRUE(metadata.sliced);
  EXPECT_TRUE(metadata.warnings.empty()) << metadata.warnings.front();
  EXPECT_EQ(metadata.plates[0].filaments.size(), 1u);
  auto stop = send(json{{"print", {{"command", "stop"}, {"sequence_id", "5"}}}}, stateIs("FAILED"), from);
  ASSERT_TRUE(stop);
}

TEST_F(BambuSimStorageTest, StdinStartRefusesWhatCannotPrint) {
  auto sim = startSim();
  const std::string one_plate = elsewhere_.write("One.3mf", sampleThreeMf("One", 60, 1));
  const std::string junk = elsewhere_.write("junk.bin", "not a zip at all");
  const std::string prefix = "error start " + kSerial + ": ";
  EXPECT_EQ(control(*sim, "start " + kSerial + " " + one_plate + " 3"),
            prefix + "plate 3 is not in /cache/One.3mf (sliced plates: 1)");
  // The file stays on the card, as it would on a real one.
  EXPECT_TRUE(std::filesystem::exists(card() + "/cache/One.3mf"));
  EXPECT_EQ(control(*sim, "start " + kSerial + " " + junk)
                .rfind(prefix + "not a valid 3mf: /cache/junk.bin.3mf", 0),
            0u);
  EXPECT_EQ(control(*sim, "start " + kSerial + " " + elsewhere_.path() + "/Nope.3mf")
                .rfind(prefix + "cannot read " + elsewhere_.path() + "/Nope.3mf", 0),
            0u);
  EXPECT_EQ(control(*sim, "start " + kSerial + " " + one_plate + " 0"),
            prefix + "usage: start <serial> [<path to a 3mf> [plate 1..999]]");
  EXPECT_EQ(control(*sim, "start " + kSerial + " " + elsewhere_.path() + "/.hidden.3mf").rfind(prefix, 0),
            0u);
  EXPECT_EQ(stateNow(), "IDLE");
  // The long-standing form still runs a job with no file behind it.
  EXPECT_EQ(control(*sim, "start legacy.3mf 60"), "ok start");
  EXPECT_FALSE(std::filesystem::exists(card() + "/cache/legacy.3mf"));
}

TEST_F(BambuSimStorageTest, WithoutStorageProjectFileStillStartsAJob) {
  auto sim = startSim(false);
  EXPECT_EQ(control(*sim, "start " + kSerial),
            "error start " + kSerial + ": start <serial> needs --storage-dir");
  const size_t from = client_->mark();
  auto ack = send(projectFile("6001", "ftp://Anything.3mf", 1, "00"), ackOf("project_file", "6001"), from);
  ASSERT_TRUE(ack);
  EXPECT_EQ(parsed(*ack)["print"]["result"], "SUCCESS");
  EXPECT_TRUE(client_->waitFor(printReport(stateIs("PREPARE")), kWaitMs, from));
}

TEST_F(BambuSimStorageTest, EachPrinterGetsItsOwnStorage) {
  auto args = BambuSimProcess::argsFor(*broker_, kSerial, kIntervalMs);
  auto serial = std::find(args.begin(), args.end(), "--serial");
  args.erase(serial, serial + 2);
  args.insert(args.end(),
              {"--count", "2", "--serial-prefix", "CARD", "--storage-dir", storage_.path() + "/new"});
  BambuSimProcess sim(args);
  ASSERT_TRUE(sim.waitLine("ready", kWaitMs)) << sim.transcript();
  EXPECT_TRUE(std::filesystem::is_directory(storage_.path() + "/new/CARD00000000001/cache"));
  EXPECT_TRUE(std::filesystem::is_directory(storage_.path() + "/new/CARD00000000002/cache"));
}

TEST(BambuSimStorageCli, RejectsBadStorageOptions) {
  TempDir dir;
  const std::string file = dir.write("plain-file", "x");
  for (auto [args, message] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--time-scale", "0"}, "--time-scale needs a number"},
           {{"--time-scale", "fast"}, "--time-scale needs a number"},
           {{"--storage-dir", ""}, "--storage-dir needs a directory"},
           {{"--storage-dir", file}, "cannot create the storage directory"}}) {
    std::vector<std::string> argv{
        bambuPrinterSimBinary(), "--port", "1", "--insecure", "--serial", "A", "--password", "x"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = runProcess(argv);
    EXPECT_NE(r.exit_code, 0) << message;
    EXPECT_NE(r.stderr_text.find(message), std::string::npos) << r.stderr_text;
  }
}

} // namespace bambu_sim_storage_test
} // namespace bambuddy::testing
