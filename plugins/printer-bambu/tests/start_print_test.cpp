// start_print: the command's parsing, the project_file bytes, and the whole start job of the real
// driver (BambuPrinter) against a real mosquitto broker, with the test playing the printer over
// MQTT and the printer's storage played by FakeStorage: a real directory with a transport that can
// be told to fail a given step with a given FtpsFailure or to hold an upload half-way.
// (The FTPS client itself is tested against proftpd elsewhere.) Every wait has a deadline.
#include "bambu_test_util.h"

#include "bambu_printer.h"
#include "print_file_fetch.h"
#include "start_request.h"
#include "storage_transport.h"

#include "support/mosquitto_broker.h"
#include "support/mqtt_test_client.h"
#include "support/temp_dir.h"

#include <openssl/evp.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <dirent.h>
#include <fstream>
#include <mutex>
#include <random>

namespace bambuddy::printer_bambu::test {
namespace start_print_test {

using bambuddy::testing::MosquittoBroker;
using bambuddy::testing::MosquittoBrokerOptions;
using bambuddy::testing::MqttEndpoint;
using bambuddy::testing::MqttTestClient;
using bambuddy::testing::TempDir;
using Clock = std::chrono::steady_clock;

constexpr int64_t kWaitMs = 10000;
const std::string kSerial = "01P00START00001";
const std::string kAccessCode = "st4rtC0de";

int64_t msSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

std::string digestHex(const EVP_MD* md, const std::string& bytes) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), out, &len, md, nullptr);
  static const char* kDigits = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex += kDigits[out[i] >> 4];
    hex += kDigits[out[i] & 0xf];
  }
  return hex;
}

std::string upper(std::string s) {
  for (char& c : s) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return s;
}

sdk::Error errorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const sdk::Error& e) {
    return e;
  }
  ADD_FAILURE() << "no sdk::Error thrown";
  return sdk::Error(BB_OK, "", "");
}

json goodCommand() {
  return {{"action", "start_print"},
          {"archive_id", 12},
          {"filename", "Benchy (v2).3mf"},
          {"name", "Benchy"},
          {"estimated_time_s", 3600},
          {"plate", 2},
          {"file", {{"path", "/tmp/x.3mf"}, {"size", 123456}, {"sha256", std::string(64, 'A')}}},
          {"options",
           {{"use_ams", true},
            {"ams_mapping", {0, 1, -1, 255}},
            {"bed_leveling", false},
            {"flow_cali", true},
            {"vibration_cali", true},
            {"timelapse", true},
            {"layer_inspect", true},
            {"bed_type", "textured_plate"}}}};
}

// ---------------------------------------------------------------------------------------------
// Parsing and wire format

TEST(BambuStartPrintParse, EveryFieldIsRead) {
  StartPrintRequest r = parseStartPrint(goodCommand());
  EXPECT_EQ(r.archive_id, 12);
  EXPECT_EQ(r.filename, "Benchy (v2).3mf");
  EXPECT_EQ(r.remotePath(), "/Benchy (v2).3mf");
  EXPECT_EQ(r.name, "Benchy");
  EXPECT_EQ(r.estimated_time_s, 3600);
  EXPECT_EQ(r.plate, 2);
  EXPECT_EQ(r.file_path, "/tmp/x.3mf");
  EXPECT_EQ(r.file_size, 123456u);
  EXPECT_EQ(r.file_sha256, std::string(64, 'a')); // normalised to lower case
  EXPECT_TRUE(r.options.use_ams);
  EXPECT_EQ(r.options.ams_mapping, (std::vector<int>{0, 1, -1, 255}));
  EXPECT_FALSE(r.options.bed_leveling);
  EXPECT_TRUE(r.options.flow_cali);
  EXPECT_TRUE(r.options.vibration_cali);
  EXPECT_TRUE(r.options.timelapse);
  EXPECT_TRUE(r.options.layer_inspect);
  EXPECT_EQ(r.options.bed_type, "textured_plate");
}

TEST(BambuStartPrintParse, DefaultsForWhatIsNotGiven) {
  json c = goodCommand();
  c.erase("name");
  c.erase("estimated_time_s");
  c.erase("plate");
  c.erase("options");
  StartPrintRequest r = parseStartPrint(c);
  EXPECT_EQ(r.name, "Benchy (v2)"); // the file name without .3mf
  EXPECT_FALSE(r.estimated_time_s);
  EXPECT_EQ(r.plate, 1);
  EXPECT_TRUE(r.options.use_ams);
  EXPECT_FALSE(r.options.ams_mapping);
  EXPECT_TRUE(r.options.bed_leveling);
  EXPECT_FALSE(r.options.flow_cali);
  EXPECT_FALSE(r.options.vibration_cali);
  EXPECT_FALSE(r.options.timelapse);
  EXPECT_FALSE(r.options.layer_inspect);
  EXPECT_EQ(r.options.bed_type, "auto");
  // null counts as not given
  c["options"] = {{"bed_type", nullptr}, {"ams_mapping", nullptr}};
  c["plate"] = nullptr;
  EXPECT_EQ(parseStartPrint(c).options.bed_type, "auto");
  for (const std::string& type : knownBedTypes()) {
    c["options"] = {{"bed_type", type}};
    EXPECT_EQ(parseStartPrint(c).options.bed_type, type);
  }
  c["plate"] = 64;
  EXPECT_EQ(parseStartPrint(c).plate, 64);
  c["options"] = {{"ams_mapping", json::array()}};
  EXPECT_EQ(parseStartPrint(c).options.ams_mapping, std::vector<int>{});
  c["options"] = {{"ams_mapping", std::vector<int>(32, 3)}};
  EXPECT_EQ(parseStartPrint(c).options.ams_mapping->size(), 32u);
  // 0 means unknown; fractions are rounded; names the core makes from archive names pass.
  c["estimated_time_s"] = 0;
  EXPECT_FALSE(parseStartPrint(c).estimated_time_s);
  c["estimated_time_s"] = 99.6;
  EXPECT_EQ(parseStartPrint(c).estimated_time_s, 100);
  c["filename"] = "v1..2_(final)-x.3MF";
  EXPECT_EQ(parseStartPrint(c).filename, "v1..2_(final)-x.3MF");
}

TEST(BambuStartPrintParse, EveryBadValueIsRefusedPrecisely) {
  struct Case {
    std::string pointer; // where to put the value ("/file/size"); "-" removes it
    json value;
    std::string expected; // a part of the message
  };
  const json remove = "-";
  std::vector<Case> cases = {
      {"/archive_id", remove, "archive_id must be a positive integer"},
      {"/archive_id", 0, "archive_id must be a positive integer"},
      {"/archive_id", "12", "archive_id must be a positive integer"},
      {"/archive_id", 1.5, "archive_id must be a positive integer"},
      {"/filename", remove, "filename must be"},
      {"/filename", "benchy.gcode", "ending with .3mf"},
      {"/filename", "../etc/x.3mf", "filename must be"},
      {"/filename", "a..b", "ending with .3mf"},
      {"/filename", "a/b.3mf", "filename must be"},
      {"/filename", ".hidden.3mf", "not starting with a dot"},
      {"/filename", ".3mf", "filename must be"},
      {"/filename", "bad\nname.3mf", "filename must be"},
      {"/filename", "Benchy\u00e9.3mf", "filename must be"},
      {"/filename", std::string(197, 'a') + ".3mf", "at most 200"},
      {"/filename", 5, "filename must be"},
      {"/name", "", "name must be a string of 1 to 255"},
      {"/name", "a\tb", "without control characters"},
      {"/name", std::string(256, 'n'), "name must be a string of 1 to 255"},
      {"/name", 3, "name must be"},
      {"/estimated_time_s", -5, "estimated_time_s must be"},
      {"/estimated_time_s", -0.5, "estimated_time_s must be"},
      {"/estimated_time_s", 2592001, "from 0 (unknown) to 2592000"},
      {"/estimated_time_s", "3600", "estimated_time_s must be"},
      {"/plate", 0, "plate must be an integer from 1 to 64"},
      {"/plate", 65, "plate must be an integer from 1 to 64"},
      {"/plate", 1.5, "plate must be an integer from 1 to 64"},
      {"/plate", "1", "plate must be an integer from 1 to 64"},
      {"/file", remove, "file is required"},
      {"/file", "/tmp/x.3mf", "file must be an object"},
      {"/file/path", remove, "file.path must be an absolute path"},
      {"/file/path", "relative.3mf", "file.path must be an absolute path"},
      {"/file/path", "", "file.path must be an absolute path"},
      {"/file/size", remove, "file.size must be"},
      {"/file/size", 0, "file.size must be"},
      {"/file/size", -1, "file.size must be"},
      {"/file/size", "10", "file.size must be"},
      {"/file/sha256", remove, "file.sha256 must be 64 hex digits"},
      {"/file/sha256", std::string(63, 'a'), "file.sha256 must be 64 hex digits"},
      {"/file/sha256", std::string(64, 'g'), "file.sha256 must be 64 hex digits"},
      {"/options", json::array(), "options must be an object"},
      {"/options/use_ams", "yes", "options.use_ams must be true or false"},
      {"/options/bed_leveling", 1, "options.bed_leveling must be true or false"},
      {"/options/flow_cali", "true", "options.flow_cali must be true or false"},
      {"/options/vibration_cali", 0, "options.vibration_cali must be true or false"},
      {"/options/timelapse", json::object(), "options.timelapse must be true or false"},
      {"/options/layer_inspect", "no", "options.layer_inspect must be true or false"},
      {"/options/bed_type", "glass", "options.bed_type must be one of auto, cool_plate"},
      {"/options/bed_type", "AUTO", "options.bed_type must be one of"},
      {"/options/bed_type", 1, "options.bed_type must be one of"},
      {"/options/ams_mapping", "0,1", "options.ams_mapping must be an array of at most 32 tray ids"},
      {"/options/ams_mapping", json({0, -2}), "entry 1 is -2"},
      {"/options/ams_mapping", json({256}), "entry 0 is 256"},
      {"/options/ams_mapping", json({0, "1"}), "entry 1 is \"1\""},
      {"/options/ams_mapping", json({0.5}), "entry 0 is 0.5"},
      {"/options/ams_mapping", json(std::vector<int>(33, 0)), "at most 32"},
      {"/options/speed", 2, "unknown option 'speed'"},
  };
  for (const Case& c : cases) {
    json doc = goodCommand();
    json::json_pointer ptr(c.pointer);
    if (c.value == remove) {
      doc[ptr.parent_pointer()].erase(ptr.back());
    } else {
      doc[ptr] = c.value;
    }
    sdk::Error e = errorOf([&] { parseStartPrint(doc); });
    EXPECT_EQ(e.code(), BB_ERR_INVALID_ARGUMENT) << c.pointer;
    EXPECT_EQ(e.reason(), "invalid_command") << c.pointer;
    EXPECT_NE(std::string(e.what()).find(c.expected), std::string::npos)
        << c.pointer << " = " << c.value.dump() << ": " << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
  EXPECT_EQ(errorOf([] { parseStartPrint(json::array()); }).code(), BB_ERR_INVALID_ARGUMENT);
}

TEST(BambuStartPrintWire, ProjectFilePayloadHasEveryField) {
  StartPrintRequest r = parseStartPrint(goodCommand());
  json payload = json::parse(projectFilePayload(r, "0123456789abcdef0123456789abcdef", 20001));
  json expected = {{"print",
                    {{"command", "project_file"},
                     {"sequence_id", "20001"},
                     {"param", "Metadata/plate_2.gcode"},
                     {"url", "ftp://Benchy (v2).3mf"},
                     {"file", "Benchy (v2).3mf"},
                     {"md5", "0123456789ABCDEF0123456789ABCDEF"},
                     {"subtask_name", "Benchy"},
                     {"project_id", "0"},
                     {"profile_id", "0"},
                     {"task_id", "0"},
                     {"subtask_id", "0"},
                     {"bed_type", "textured_plate"},
                     {"timelapse", true},
                     {"bed_leveling", false},
                     {"flow_cali", true},
                     {"vibration_cali", true},
                     {"layer_inspect", true},
                     {"use_ams", true},
                     {"ams_mapping", {0, 1, -1, 255}}}}};
  EXPECT_EQ(payload, expected) << payload.dump(2);
  // Every key of the request a real client sends (ha-bambulab's template) is there, same types.
  json client = json::parse(fixture("request-project-file-ha-bambulab.json"))["print"];
  for (const auto& [key, value] : client.items()) {
    ASSERT_TRUE(payload["print"].contains(key)) << key;
    if (key != "sequence_id") { // the template's integer 0 is the odd one out; printers send strings
      EXPECT_EQ(payload["print"][key].type_name(), std::string(value.type_name())) << key;
    }
  }
  // Without a mapping the key is left out: the printer uses the 3MF's own.
  json c = goodCommand();
  c["options"].erase("ams_mapping");
  EXPECT_FALSE(json::parse(projectFilePayload(parseStartPrint(c), "ab", 1))["print"].contains("ams_mapping"));
}

TEST(BambuStartPrintWire, ProjectFileAnswers) {
  auto ok = parseProjectFileAnswer(
      R"({"print":{"command":"project_file","result":"SUCCESS","reason":"SUCCESS","sequence_id":"20001","subtask_name":"ams"}})");
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->success);
  EXPECT_EQ(ok->sequence_id, "20001");
  auto fail = parseProjectFileAnswer(
      R"({"print":{"command":"project_file","result":"FAIL","reason":"file not found","sequence_id":7}})");
  ASSERT_TRUE(fail);
  EXPECT_FALSE(fail->success);
  EXPECT_EQ(fail->sequence_id, "7");
  EXPECT_EQ(fail->reason, "file not found");
  // Not answers: our own request echoed (no result), other commands, garbage, deep nesting.
  EXPECT_FALSE(
      parseProjectFileAnswer(R"({"print":{"command":"project_file","sequence_id":"1","param":"x"}})"));
  EXPECT_FALSE(
      parseProjectFileAnswer(R"({"print":{"command":"pause","result":"SUCCESS","sequence_id":"1"}})"));
  EXPECT_FALSE(parseProjectFileAnswer("project_file"));
  EXPECT_FALSE(parseProjectFileAnswer(std::string(100000, '[') + "\"project_file\""));
}

// ---------------------------------------------------------------------------------------------
// The start job

// The printer's storage: a real directory; operations can be made to fail or to hold.
struct FakeStorage {
  TempDir dir;
  std::mutex mutex;
  std::condition_variable changed;
  // The next operation named `fail_step` ("list", "upload", "remove") throws `fail_with`; an upload
  // first writes `fail_after_bytes` bytes (a partial file, as a refused STOR leaves one).
  std::string fail_step;
  FtpsFailure fail_with = FtpsFailure::Protocol;
  uint64_t fail_after_bytes = 0;
  bool hold_uploads = false; // an upload stops after its first chunk until released or cancelled
  bool released = false;
  int lists = 0, uploads = 0, removes = 0, cancels = 0, transports = 0;
  bool upload_holding = false;

  std::string pathOf(const std::string& remote) const { return dir.path() + remote; }
  bool has(const std::string& remote) const { return ::access(pathOf(remote).c_str(), F_OK) == 0; }
  std::string read(const std::string& remote) const { return readText(pathOf(remote)); }
  void release() {
    std::lock_guard<std::mutex> lock(mutex);
    released = true;
    changed.notify_all();
  }
  bool waitHolding(int64_t timeout_ms) {
    std::unique_lock<std::mutex> lock(mutex);
    return changed.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return upload_holding; });
  }
  int count(int FakeStorage::*field) {
    std::lock_guard<std::mutex> lock(mutex);
    return this->*field;
  }
};

class FakeTransport : public StorageTransport {
public:
  explicit FakeTransport(FakeStorage& storage) : s_(storage) {
    std::lock_guard<std::mutex> lock(s_.mutex);
    ++s_.transports;
  }

  void upload(int fd, uint64_t size, const std::string& remote, const TransferProgress& progress) override {
    std::unique_lock<std::mutex> lock(s_.mutex);
    ++s_.uploads;
    checkCancelled();
    const bool fail = takeFailure("upload");
    std::ofstream out(s_.pathOf(remote), std::ios::binary | std::ios::trunc);
    std::vector<char> chunk(64 * 1024);
    uint64_t done = 0;
    while (done < size) {
      if (fail && done >= s_.fail_after_bytes) {
        out.close();
        throw FtpsError(s_.fail_with,
                        "the fake printer failed the upload after " + std::to_string(done) + " bytes");
      }
      size_t want = static_cast<size_t>(std::min<uint64_t>(chunk.size(), size - done));
      if (fail) {
        want = static_cast<size_t>(std::min<uint64_t>(want, s_.fail_after_bytes - done));
      }
      ssize_t got = ::pread(fd, chunk.data(), want, static_cast<off_t>(done));
      if (got <= 0) {
        throw FtpsError(FtpsFailure::LocalIo, "pread failed");
      }
      out.write(chunk.data(), got);
      out.flush();
      done += static_cast<uint64_t>(got);
      lock.unlock();
      progress(done, size);
      lock.lock();
      if (s_.hold_uploads && !s_.released) {
        s_.upload_holding = true;
        s_.changed.notify_all();
        // Bounded, so a broken cancel fails the test instead of hanging it.
        s_.changed.wait_for(lock, std::chrono::seconds(30), [&] { return s_.released || cancelled_; });
        s_.upload_holding = false;
      }
      checkCancelled();
    }
  }

  std::vector<RemoteEntry> list(const std::string& remote_dir) override {
    std::lock_guard<std::mutex> lock(s_.mutex);
    ++s_.lists;
    checkCancelled();
    if (takeFailure("list")) {
      throw FtpsError(s_.fail_with, "the fake printer failed the listing");
    }
    std::vector<RemoteEntry> entries;
    DIR* d = ::opendir((s_.dir.path() + remote_dir).c_str());
    if (d == nullptr) {
      throw FtpsError(FtpsFailure::NotFound, "no such directory");
    }
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") {
        continue;
      }
      struct stat st {};
      ::stat((s_.dir.path() + remote_dir + "/" + name).c_str(), &st);
      entries.push_back({name, static_cast<uint64_t>(st.st_size), S_ISDIR(st.st_mode)});
    }
    ::closedir(d);
    return entries;
  }

  void remove(const std::string& remote) override {
    std::lock_guard<std::mutex> lock(s_.mutex);
    ++s_.removes;
    checkCancelled();
    if (takeFailure("remove")) {
      throw FtpsError(s_.fail_with, "the fake printer failed the delete");
    }
    if (::unlink(s_.pathOf(remote).c_str()) != 0) {
      throw FtpsError(FtpsFailure::NotFound, "no such file");
    }
  }

  void download(const std::string& remote, int fd, uint64_t max_bytes,
                const TransferProgress& progress) override {
    std::lock_guard<std::mutex> lock(s_.mutex);
    checkCancelled();
    if (takeFailure("download")) {
      throw FtpsError(s_.fail_with, "the fake printer failed the download");
    }
    if (!s_.has(remote)) {
      throw FtpsError(FtpsFailure::NotFound, "no such file");
    }
    const std::string bytes = s_.read(remote);
    if (bytes.size() > max_bytes) {
      throw FtpsError(FtpsFailure::LocalIo, "larger than " + std::to_string(max_bytes) + " bytes");
    }
    if (::write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
      throw FtpsError(FtpsFailure::LocalIo, "write failed");
    }
    if (progress) {
      progress(bytes.size(), bytes.size());
    }
  }

  void cancel() override {
    std::lock_guard<std::mutex> lock(s_.mutex);
    ++s_.cancels;
    cancelled_ = true;
    s_.changed.notify_all();
  }

private:
  void checkCancelled() {
    if (cancelled_) {
      throw FtpsError(FtpsFailure::Cancelled, "cancelled");
    }
  }
  bool takeFailure(const std::string& step) {
    if (s_.fail_step != step) {
      return false;
    }
    s_.fail_step.clear();
    return true;
  }

  FakeStorage& s_;
  bool cancelled_ = false; // guarded by s_.mutex
};

class StartPrintJob : public ::testing::Test {
protected:
  void SetUp() override {
    broker_ = std::make_unique<MosquittoBroker>(MosquittoBrokerOptions{"bblp", kAccessCode});
    broker_->start();
    printer_ = std::make_unique<MqttTestClient>(
        MqttEndpoint{broker_->uri(), broker_->caFile(), "bblp", kAccessCode}, "test-printer");
    printer_->connect();
    printer_->subscribe("device/" + kSerial + "/request", 1);
    std::mt19937 random(42);
    content_.resize(300 * 1024 + 17);
    for (char& c : content_) {
      c = static_cast<char>(random());
    }
    file_path_ = files_.write("Benchy.3mf", content_);
    sha256_ = digestHex(EVP_sha256(), content_);
    md5_ = digestHex(EVP_md5(), content_);
  }

  void TearDown() override {
    driver_.reset();
    for (const auto& line : host_.logs()) {
      EXPECT_EQ(line.message.find(kAccessCode), std::string::npos) << line.message;
    }
    for (const auto& report : host_.statusReports()) {
      EXPECT_EQ(report.find(kAccessCode), std::string::npos) << report;
    }
  }

  void startDriver(json config = json::object()) {
    config.emplace("reconnect_min_ms", 100);
    config.emplace("reconnect_max_ms", 400);
    config.emplace("start_timeout_ms", 3000);
    json settings = {
        {"host", "127.0.0.1"}, {"port", broker_->port()}, {"serial", kSerial}, {"access_code", kAccessCode}};
    driver_ = std::make_unique<BambuPrinter>(
        harness_.host(), config.dump(), settings.dump(),
        [this](const PrinterSettings&, const DriverConfig&) -> TransportFactory {
          return [this] { return std::make_unique<FakeTransport>(storage_); };
        });
    driver_->start();
    // The printer reports until the driver has seen it (a report before its subscription is lost).
    const auto deadline = Clock::now() + std::chrono::milliseconds(kWaitMs);
    while (Clock::now() < deadline) {
      report({{"gcode_state", "IDLE"}, {"subtask_name", ""}, {"gcode_file", ""}, {"mc_percent", 0}});
      if (waitStatus(stateIs("idle"), 100)) {
        return;
      }
    }
    FAIL() << "the driver never reported idle: " << lastStatus();
  }

  // Publishes a push_status report as the printer.
  void report(json fields) {
    fields["command"] = "push_status";
    printer_->publish("device/" + kSerial + "/report", json({{"print", fields}}).dump(), 0);
  }

  json startCommand(int plate = 1) const {
    return {{"action", "start_print"},
            {"archive_id", 7},
            {"filename", "Benchy.3mf"},
            {"name", "Benchy"},
            {"plate", plate},
            {"file", {{"path", file_path_}, {"size", content_.size()}, {"sha256", sha256_}}},
            {"options",
             {{"use_ams", true}, {"ams_mapping", {2, -1}}, {"timelapse", false}, {"bed_type", "auto"}}}};
  }

  // Sends start_print; returns the answer.
  json start(int plate = 1) { return json::parse(driver_->command(startCommand(plate).dump())); }

  // The next project_file the driver publishes, after `from`.
  std::optional<json> waitProjectFile(size_t from = 0, int64_t timeout_ms = kWaitMs) {
    auto message = printer_->waitFor(
        [](const MqttTestClient::Message& m) {
          return m.payload.find("\"project_file\"") != std::string::npos;
        },
        timeout_ms, from);
    if (!message) {
      return std::nullopt;
    }
    return json::parse(message->payload)["print"];
  }

  void answer(const json& request, const std::string& result, const std::string& reason) {
    printer_->publish("device/" + kSerial + "/report",
                      json({{"print",
                             {{"command", "project_file"},
                              {"result", result},
                              {"reason", reason},
                              {"sequence_id", request["sequence_id"]},
                              {"subtask_name", request["subtask_name"]}}}})
                          .dump(),
                      0);
  }

  std::optional<json> waitStatus(const std::function<bool(const json&)>& match,
                                 int64_t timeout_ms = kWaitMs) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
      std::vector<std::string> reports = host_.statusReports();
      for (; cursor_ < reports.size(); ++cursor_) {
        json status = json::parse(reports[cursor_], nullptr, false);
        if (!status.is_discarded() && match(status)) {
          ++cursor_;
          return status;
        }
      }
      const int64_t left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) {
        return std::nullopt;
      }
      host_.waitForStatusReports(reports.size() + 1, std::min<int64_t>(left, 50));
    }
  }

  std::string lastStatus() const {
    auto reports = host_.statusReports();
    return reports.empty() ? "(none)" : reports.back();
  }

  static std::function<bool(const json&)> stateIs(const std::string& state) {
    return [state](const json& s) { return s.value("state", "") == state; };
  }

  static std::function<bool(const json&)> transferPhase(const std::string& phase) {
    return [phase](const json& s) {
      return s.contains("transfer") && s["transfer"].value("phase", "") == phase;
    };
  }

  // A failed start: the one failure report, then the printer mirrored again (idle).
  json expectFailure(const std::string& reason) {
    auto failed = waitStatus(stateIs("failed"));
    EXPECT_TRUE(failed) << lastStatus();
    if (!failed) {
      return json();
    }
    EXPECT_EQ((*failed)["print_error"], reason) << failed->dump();
    EXPECT_EQ((*failed)["notices"][0]["code"], reason) << failed->dump();
    EXPECT_FALSE((*failed)["notices"][0]["message"].get<std::string>().empty());
    EXPECT_EQ((*failed)["end_reason"], "error");
    EXPECT_EQ((*failed)["current_print"]["filename"], "Benchy.3mf");
    EXPECT_FALSE(failed->contains("transfer"));
    auto mirrored = waitStatus(stateIs("idle"));
    EXPECT_TRUE(mirrored) << lastStatus();
    if (mirrored) {
      EXPECT_FALSE(mirrored->contains("transfer"));
      EXPECT_EQ((*mirrored)["errors"], json::array());
    }
    return *failed;
  }

  bool waitNoFile(const std::string& remote) {
    return eventually([&] { return !storage_.has(remote); }, kWaitMs);
  }

  // start(), retried while the previous start's worker is still finishing.
  json startWhenReady() {
    json answer;
    EXPECT_TRUE(eventually(
        [&] {
          try {
            answer = start();
            return true;
          } catch (const sdk::Error& e) {
            EXPECT_EQ(e.reason(), "start_running") << e.what();
            return e.reason() != "start_running";
          }
        },
        kWaitMs));
    return answer;
  }

  bool logged(const std::string& needle) {
    return eventually(
        [&] {
          for (const auto& line : host_.logs()) {
            if (line.message.find(needle) != std::string::npos) {
              return true;
            }
          }
          return false;
        },
        kWaitMs);
  }

  std::string uploadRecord() const {
    auto kv = host_.kv();
    auto it = kv.find("printer.bambu/" + PrintStarter::uploadRecordKey(kSerial, "/Benchy.3mf"));
    return it == kv.end() ? std::string() : it->second;
  }

  TempDir files_;
  std::string content_, file_path_, sha256_, md5_;
  FakeStorage storage_;
  std::unique_ptr<MosquittoBroker> broker_;
  std::unique_ptr<MqttTestClient> printer_;
  testing::FakeHost host_;
  HostHarness harness_{host_};
  std::unique_ptr<BambuPrinter> driver_;
  size_t cursor_ = 0;
};

TEST_F(StartPrintJob, UploadsSendsProjectFileAndFollowsThePrint) {
  startDriver();
  const size_t from = printer_->mark();
  Clock::time_point asked = Clock::now();
  json answer_json = start(2);
  EXPECT_LT(msSince(asked), 1000) << "the command answers before the transfer";
  const std::string job_id = answer_json["job_id"];
  EXPECT_FALSE(job_id.empty());
  EXPECT_EQ(answer_json["remote_file"], "/Benchy.3mf");

  auto checking = waitStatus(stateIs("preparing"));
  ASSERT_TRUE(checking) << lastStatus();
  EXPECT_EQ((*checking)["current_print"],
            json({{"filename", "Benchy.3mf"}, {"name", "Benchy"}, {"job_id", job_id}}));
  EXPECT_EQ((*checking)["transfer"]["phase"], "checking");
  EXPECT_EQ((*checking)["transfer"]["total"], content_.size());
  EXPECT_EQ((*checking)["transfer"]["file"], "/Benchy.3mf");
  EXPECT_EQ((*checking)["transfer"]["skipped"], false);
  EXPECT_EQ((*checking)["progress"], 0);
  auto uploading = waitStatus(transferPhase("uploading"));
  ASSERT_TRUE(uploading) << lastStatus();
  auto starting = waitStatus(transferPhase("starting"));
  ASSERT_TRUE(starting) << lastStatus();
  EXPECT_EQ((*starting)["transfer"]["bytes"], content_.size());

  auto request = waitProjectFile(from);
  ASSERT_TRUE(request);
  EXPECT_EQ((*request)["param"], "Metadata/plate_2.gcode");
  EXPECT_EQ((*request)["url"], "ftp://Benchy.3mf");
  EXPECT_EQ((*request)["file"], "Benchy.3mf");
  EXPECT_EQ((*request)["md5"], upper(md5_));
  EXPECT_EQ((*request)["subtask_name"], "Benchy");
  EXPECT_EQ((*request)["use_ams"], true);
  EXPECT_EQ((*request)["ams_mapping"], json({2, -1}));
  EXPECT_EQ((*request)["bed_type"], "auto");
  EXPECT_EQ((*request)["timelapse"], false);
  const std::string seq = (*request)["sequence_id"];
  EXPECT_FALSE(seq.empty());
  EXPECT_EQ(seq.find_first_not_of("0123456789"), std::string::npos);
  // The file on the printer is the file, byte for byte, before project_file went out.
  ASSERT_TRUE(storage_.has("/Benchy.3mf"));
  EXPECT_EQ(storage_.read("/Benchy.3mf"), content_);
  EXPECT_EQ(storage_.count(&FakeStorage::uploads), 1);
  EXPECT_EQ(json::parse(uploadRecord())["sha256"], sha256_);

  // The printer answers and starts, as the P2S capture does: SUCCESS, a stale FINISH, RUNNING.
  answer(*request, "SUCCESS", "SUCCESS");
  report({{"gcode_state", "FINISH"}, {"subtask_name", "Benchy"}});
  report({{"gcode_state", "PREPARE"},
          {"subtask_name", "Benchy"},
          {"gcode_file", "/data/Metadata/plate_2.gcode"},
          {"mc_percent", 0}});
  auto preparing = waitStatus(
      [](const json& s) { return s.value("state", "") == "preparing" && !s.contains("transfer"); });
  ASSERT_TRUE(preparing) << lastStatus();
  // One job for the core: the same file name and job id the start reported.
  EXPECT_EQ((*preparing)["current_print"],
            json({{"filename", "Benchy.3mf"}, {"name", "Benchy"}, {"job_id", job_id}}));
  report({{"gcode_state", "RUNNING"}, {"subtask_name", "Benchy"}, {"mc_percent", 3}});
  auto printing = waitStatus(stateIs("printing"));
  ASSERT_TRUE(printing) << lastStatus();
  EXPECT_EQ((*printing)["current_print"]["job_id"], job_id);
  EXPECT_EQ((*printing)["current_print"]["filename"], "Benchy.3mf");
  EXPECT_EQ((*printing)["progress"], 3);
  // No status in between claimed another state: no failure, no idle.
  for (const std::string& text : host_.statusReports()) {
    json s = json::parse(text);
    EXPECT_NE(s.value("state", ""), "failed") << text;
  }
  // While it prints, a second start is refused by the printer's state.
  sdk::Error busy = errorOf([&] { start(); });
  EXPECT_EQ(busy.code(), BB_ERR_CONFLICT);
  EXPECT_EQ(busy.reason(), "printer_busy");
  // The job ends; a new job name on the printer is a new job.
  report({{"gcode_state", "FINISH"}, {"subtask_name", "Benchy"}, {"mc_percent", 100}});
  auto finished = waitStatus(stateIs("finished"));
  ASSERT_TRUE(finished) << lastStatus();
  EXPECT_EQ((*finished)["current_print"]["job_id"], job_id);
  report({{"gcode_state", "RUNNING"}, {"subtask_name", "Other job"}});
  auto other = waitStatus(stateIs("printing"));
  ASSERT_TRUE(other) << lastStatus();
  EXPECT_EQ((*other)["current_print"]["filename"], "Other job.3mf");
}

TEST_F(StartPrintJob, TheSameFileIsNotUploadedAgain) {
  startDriver();
  size_t from = printer_->mark();
  start();
  auto first = waitProjectFile(from);
  ASSERT_TRUE(first);
  answer(*first, "SUCCESS", "SUCCESS");
  report({{"gcode_state", "RUNNING"}, {"subtask_name", "Benchy"}});
  ASSERT_TRUE(waitStatus(stateIs("printing"))) << lastStatus();
  report({{"gcode_state", "FINISH"}, {"subtask_name", "Benchy"}});
  ASSERT_TRUE(waitStatus(stateIs("finished"))) << lastStatus();

  from = printer_->mark();
  startWhenReady();
  auto skipped = waitStatus(transferPhase("starting"));
  ASSERT_TRUE(skipped) << lastStatus();
  EXPECT_EQ((*skipped)["transfer"]["skipped"], true);
  EXPECT_EQ((*skipped)["transfer"]["bytes"], content_.size());
  auto second = waitProjectFile(from);
  ASSERT_TRUE(second);
  EXPECT_NE((*second)["sequence_id"], (*first)["sequence_id"]);
  EXPECT_EQ(storage_.count(&FakeStorage::uploads), 1);
  EXPECT_EQ(storage_.count(&FakeStorage::lists), 2);
  answer(*second, "SUCCESS", "SUCCESS");
  report({{"gcode_state", "RUNNING"}, {"subtask_name", "Benchy"}});
  ASSERT_TRUE(waitStatus(stateIs("printing"))) << lastStatus();
}

TEST_F(StartPrintJob, AJobNameThePrinterShortensIsStillTheSameJob) {
  startDriver();
  size_t from = printer_->mark();
  const std::string job_id = start()["job_id"];
  auto request = waitProjectFile(from);
  ASSERT_TRUE(request);
  // Before the answer, a PREPARE under another name is not ours: still starting.
  report({{"gcode_state", "PREPARE"}, {"subtask_name", "Bench"}});
  answer(*request, "SUCCESS", "SUCCESS");
  report({{"gcode_state", "RUNNING"}, {"subtask_name", "Bench"}, {"mc_percent", 1}});
  auto printing = waitStatus(stateIs("printing"));
  ASSERT_TRUE(printing) << lastStatus();
  EXPECT_EQ((*printing)["current_print"],
            json({{"filename", "Benchy.3mf"}, {"name", "Benchy"}, {"job_id", job_id}}));
  report({{"gcode_state", "RUNNING"}, {"subtask_name", "Bench"}, {"mc_percent", 2}});
  auto later = waitStatus([](const json& s) { return s.value("progress", 0) == 2; });
  ASSERT_TRUE(later) << lastStatus();
  EXPECT_EQ((*later)["current_print"]["job_id"], job_id);
}

TEST_F(StartPrintJob, AFileOfTheSameSizeThisDriverDidNotUploadIsReplaced) {
  startDriver();
  // Same name and size on the printer, but no record of uploading it: uploaded again.
  std::ofstream(storage_.pathOf("/Benchy.3mf"), std::ios::binary) << std::string(content_.size(), 'x');
  size_t from = printer_->mark();
  start();
  auto request = waitProjectFile(from);
  ASSERT_TRUE(request);
  EXPECT_EQ(storage_.count(&FakeStorage::uploads), 1);
  EXPECT_EQ(storage_.read("/Benchy.3mf"), content_);
  answer(*request, "SUCCESS", "SUCCESS");
  report({{"gcode_state", "PREPARE"}, {"subtask_name", "Benchy"}});
  ASSERT_TRUE(waitStatus(
      [](const json& s) { return s.value("state", "") == "preparing" && !s.contains("transfer"); }));
}

TEST_F(StartPrintJob, ConnectionRefusedFailsBeforeAnyUpload) {
  startDriver();
  storage_.fail_step = "list";
  storage_.fail_with = FtpsFailure::ConnectionRefused;
  start();
  json failed = expectFailure("ftp_connection_refused");
  EXPECT_NE(failed["notices"][0]["message"].get<std::string>().find("listing the printer's storage failed"),
            std::string::npos)
      << failed.dump();
  EXPECT_EQ(storage_.count(&FakeStorage::uploads), 0);
  EXPECT_FALSE(waitProjectFile(0, 0));
}

TEST_F(StartPrintJob, WrongAccessCodeOnFtpsFails) {
  startDriver();
  storage_.fail_step = "list";
  storage_.fail_with = FtpsFailure::LoginFailed;
  start();
  expectFailure("ftp_login_failed");
  EXPECT_EQ(storage_.count(&FakeStorage::uploads), 0);
}

TEST_F(StartPrintJob, NoSpaceFailsAndThePartialFileIsDeleted) {
  startDriver();
  storage_.fail_step = "upload";
  storage_.fail_with = FtpsFailure::NoSpace;
  storage_.fail_after_bytes = 100 * 1024;
  start();
  json failed = expectFailure("ftp_no_space");
  EXPECT_NE(failed["notices"][0]["message"].get<std::string>().find("uploading /Benchy.3mf failed"),
            std::string::npos);
  EXPECT_TRUE(waitNoFile("/Benchy.3mf"));
  EXPECT_TRUE(uploadRecord().empty());
  EXPECT_EQ(storage_.count(&FakeStorage::removes), 1);
}

TEST_F(StartPrintJob, ProjectFileFailIsReportedAndTheUploadDeleted) {
  startDriver();
  size_t from = printer_->mark();
  start();
  auto request = waitProjectFile(from);
  ASSERT_TRUE(request);
  ASSERT_TRUE(storage_.has("/Benchy.3mf"));
  answer(*request, "FAIL", "MD5 mismatch");
  json failed = expectFailure("project_file_failed");
  EXPECT_NE(failed["notices"][0]["message"].get<std::string>().find("MD5 mismatch"), std::string::npos)
      << failed.dump();
  EXPECT_TRUE(waitNoFile("/Benchy.3mf"));
  EXPECT_TRUE(uploadRecord().empty());
  // The driver is ready for the next start.
  EXPECT_FALSE(startWhenReady().value("job_id", "").empty());
}

TEST_F(StartPrintJob, KeepFailedUploadsKeepsTheFile) {
  startDriver({{"keep_failed_uploads", true}});
  size_t from = printer_->mark();
  start();
  auto request = waitProjectFile(from);
  ASSERT_TRUE(request);
  answer(*request, "FAIL", "no SD card");
  expectFailure("project_file_failed");
  ASSERT_TRUE(logged("kept /Benchy.3mf on the printer (keep_failed_uploads)"));
  EXPECT_TRUE(storage_.has("/Benchy.3mf"));
  EXPECT_EQ(storage_.read("/Benchy.3mf"), content_);
  EXPECT_EQ(storage_.count(&FakeStorage::removes), 0);
  EXPECT_FALSE(uploadRecord().empty()); // complete and recorded: the next start skips the upload
}

TEST_F(StartPrintJob, NoAnswerTimesOut) {
  startDriver({{"start_timeout_ms", 300}});
  size_t from = printer_->mark();
  start();
  ASSERT_TRUE(waitProjectFile(from));
  json failed = expectFailure("project_file_timeout");
  EXPECT_NE(
      failed["notices"][0]["message"].get<std::string>().find("did not answer project_file within 300 ms"),
      std::string::npos)
      << failed.dump();
  EXPECT_TRUE(waitNoFile("/Benchy.3mf"));
}

TEST_F(StartPrintJob, SuccessWithoutPrintingTimesOutToo) {
  startDriver({{"start_timeout_ms", 400}});
  size_t from = printer_->mark();
  start();
  auto request = waitProjectFile(from);
  ASSERT_TRUE(request);
  answer(*request, "SUCCESS", "SUCCESS");
  json failed = expectFailure("project_file_timeout");
  EXPECT_NE(
      failed["notices"][0]["message"].get<std::string>().find("accepted project_file but did not begin"),
      std::string::npos)
      << failed.dump();
}

TEST_F(StartPrintJob, AChangedFileIsRefusedAsUnreadable) {
  startDriver();
  json command = startCommand();
  command["file"]["sha256"] = std::string(64, '0');
  driver_->command(command.dump());
  json failed = expectFailure("file_unreadable");
  EXPECT_NE(failed["notices"][0]["message"].get<std::string>().find("SHA-256"), std::string::npos);
  EXPECT_EQ(storage_.count(&FakeStorage::transports), 0); // nothing reached the printer
}

TEST_F(StartPrintJob, StopDuringTheUploadCancelsPromptly) {
  startDriver();
  storage_.hold_uploads = true;
  size_t from = printer_->mark();
  start();
  ASSERT_TRUE(storage_.waitHolding(kWaitMs));
  ASSERT_TRUE(waitStatus(transferPhase("uploading"))) << lastStatus();
  // Another start, pause or resume meanwhile are conflicts; only stop ends it.
  EXPECT_EQ(errorOf([&] { start(); }).reason(), "start_running");
  EXPECT_EQ(errorOf([&] { driver_->command(R"({"action":"pause"})"); }).reason(), "start_running");
  Clock::time_point stopping = Clock::now();
  json stopped = json::parse(driver_->command(R"({"action":"stop"})"));
  EXPECT_LT(msSince(stopping), 500);
  EXPECT_EQ(stopped["cancelled"], "start_print");
  auto cancelled = waitStatus(stateIs("failed"), 2000);
  ASSERT_TRUE(cancelled) << lastStatus();
  EXPECT_LT(msSince(stopping), 2000);
  EXPECT_EQ((*cancelled)["end_reason"], "cancelled");
  EXPECT_EQ((*cancelled)["print_error"], nullptr);
  EXPECT_EQ((*cancelled)["errors"], json::array());
  ASSERT_TRUE(waitStatus(stateIs("idle"))) << lastStatus();
  EXPECT_GE(storage_.count(&FakeStorage::cancels), 1);
  EXPECT_TRUE(waitNoFile("/Benchy.3mf")); // the partial file
  EXPECT_FALSE(waitProjectFile(from, 200)) << "no project_file after a cancel";
}

TEST_F(StartPrintJob, StopWhileWaitingForThePrinterCancelsAndStopsIt) {
  startDriver();
  size_t from = printer_->mark();
  start();
  ASSERT_TRUE(waitProjectFile(from));
  size_t after = printer_->mark();
  Clock::time_point stopping = Clock::now();
  driver_->command(R"({"action":"stop"})");
  auto cancelled = waitStatus(stateIs("failed"), 2000);
  ASSERT_TRUE(cancelled) << lastStatus();
  EXPECT_LT(msSince(stopping), 1000);
  EXPECT_EQ((*cancelled)["end_reason"], "cancelled");
  // project_file was out: the printer is told to stop whatever it began.
  auto stop = printer_->waitFor(
      [](const MqttTestClient::Message& m) { return m.payload.find("\"stop\"") != std::string::npos; },
      kWaitMs, after);
  EXPECT_TRUE(stop);
  EXPECT_TRUE(waitNoFile("/Benchy.3mf"));
}

TEST_F(StartPrintJob, LosingTheMqttConnectionDuringTheUploadFailsTheStart) {
  startDriver();
  storage_.hold_uploads = true;
  start();
  ASSERT_TRUE(storage_.waitHolding(kWaitMs));
  broker_->stop();
  ASSERT_TRUE(waitStatus(stateIs("offline"))) << lastStatus();
  storage_.release();
  // project_file cannot go out: the start fails, reported as the driver's verdict on its job.
  auto failed = waitStatus(stateIs("failed"));
  ASSERT_TRUE(failed) << lastStatus();
  EXPECT_EQ((*failed)["print_error"], "printer_disconnected");
  EXPECT_EQ((*failed)["connected"], true);
  EXPECT_EQ((*failed)["current_print"]["filename"], "Benchy.3mf");
  ASSERT_TRUE(waitStatus(stateIs("offline"))) << lastStatus(); // the printer mirrored again
  EXPECT_TRUE(waitNoFile("/Benchy.3mf"));
}

TEST_F(StartPrintJob, DestroyingTheDriverDuringAnUploadReturnsPromptly) {
  startDriver();
  storage_.hold_uploads = true;
  start();
  ASSERT_TRUE(storage_.waitHolding(kWaitMs));
  Clock::time_point destroying = Clock::now();
  driver_.reset();
  EXPECT_LT(msSince(destroying), 1000);
  EXPECT_GE(storage_.count(&FakeStorage::cancels), 1);
  // Stopping leaves the partial file (no time to reach the printer again); the next upload replaces it.
  EXPECT_EQ(storage_.count(&FakeStorage::removes), 0);
}

TEST_F(StartPrintJob, StartNeedsAConnectedIdlePrinter) {
  startDriver();
  report({{"gcode_state", "RUNNING"}, {"subtask_name", "Someone else's job"}});
  ASSERT_TRUE(waitStatus(stateIs("printing"))) << lastStatus();
  sdk::Error busy = errorOf([&] { start(); });
  EXPECT_EQ(busy.code(), BB_ERR_CONFLICT);
  EXPECT_EQ(busy.reason(), "printer_busy");
  EXPECT_EQ(storage_.count(&FakeStorage::transports), 0);
  report({{"gcode_state", "FAILED"}});
  ASSERT_TRUE(waitStatus(stateIs("failed"))) << lastStatus();
  broker_->stop();
  ASSERT_TRUE(waitStatus([](const json& s) { return s.value("state", "") == "offline"; })) << lastStatus();
  sdk::Error offline = errorOf([&] { start(); });
  EXPECT_EQ(offline.code(), BB_ERR_UNAVAILABLE);
  EXPECT_EQ(offline.reason(), "printer_offline");
  // A file that cannot be opened is refused at once.
  json command = startCommand();
  command["file"]["path"] = files_.file("missing.3mf");
  sdk::Error unreadable = errorOf([&] { driver_->command(command.dump()); });
  EXPECT_EQ(unreadable.code(), BB_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(unreadable.reason(), "file_unreadable");
}

// ---------------------------------------------------------------------------------------------
// fetch_print_file: the printer's own print file copied for the archive

class FetchPrintFile : public ::testing::Test {
protected:
  FetchPrintFile() : fetch_([this] { return std::make_unique<FakeTransport>(storage_); }, "printer X") {
    ::mkdir((storage_.dir.path() + "/cache").c_str(), 0700);
  }
  void put(const std::string& remote, const std::string& bytes) {
    std::ofstream(storage_.pathOf(remote), std::ios::binary) << bytes;
  }
  FetchRequest request(const std::string& filename, const std::string& name, uint64_t max = 1 << 20) {
    return {local_.path() + "/got.3mf", max, filename, name};
  }

  FakeStorage storage_;
  TempDir local_;
  PrintFileFetch fetch_;
};

TEST_F(FetchPrintFile, CopiesTheFileFromTheCacheFirst) {
  put("/cache/Benchy.3mf", "cache bytes");
  put("/Benchy.3mf", "root bytes");
  json answer = json::parse(fetch_.fetch(request("Benchy.3mf", "Benchy")));
  EXPECT_EQ(answer["remote_file"], "/cache/Benchy.3mf");
  EXPECT_EQ(answer["size"], 11);
  EXPECT_EQ(readText(local_.path() + "/got.3mf"), "cache bytes");
}

TEST_F(FetchPrintFile, FallsBackToTheJobNameInTheRoot) {
  put("/Fidget Collection.gcode.3mf", "gcode 3mf");
  json answer = json::parse(fetch_.fetch(request("", "Fidget Collection")));
  EXPECT_EQ(answer["remote_file"], "/Fidget Collection.gcode.3mf");
  EXPECT_EQ(readText(local_.path() + "/got.3mf"), "gcode 3mf");
}

TEST_F(FetchPrintFile, NoFileSaysWhereItLooked) {
  try {
    fetch_.fetch(request("Missing.3mf", "Missing"));
    FAIL() << "found a file";
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.code(), BB_ERR_NOT_FOUND);
    EXPECT_NE(std::string(e.what()).find("/cache/Missing.3mf"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("/Missing.gcode.3mf"), std::string::npos) << e.what();
  }
}

TEST_F(FetchPrintFile, RefusesAFileLargerThanAllowedAndReportsTransferFailures) {
  put("/cache/Big.3mf", std::string(100, 'x'));
  try {
    fetch_.fetch(request("Big.3mf", "Big", 10));
    FAIL() << "fetched";
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.code(), BB_ERR_IO);
    EXPECT_EQ(e.reason(), "too_large");
  }
  storage_.fail_step = "download";
  storage_.fail_with = FtpsFailure::LoginFailed;
  try {
    fetch_.fetch(request("Big.3mf", "Big"));
    FAIL() << "fetched";
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.code(), BB_ERR_UNAVAILABLE);
    EXPECT_EQ(e.reason(), "ftp_login_failed");
  }
}

TEST_F(FetchPrintFile, ACancelledFetcherRefusesUntilResumed) {
  put("/cache/A.3mf", "a");
  fetch_.cancel();
  EXPECT_THROW(fetch_.fetch(request("A.3mf", "A")), sdk::Error);
  fetch_.resume();
  EXPECT_NO_THROW(fetch_.fetch(request("A.3mf", "A")));
}

TEST(FetchRequestParsing, NeedsAnAbsolutePathALimitAndSomethingToLookFor) {
  FetchRequest r = parseFetchRequest(
      R"({"action":"fetch_print_file","path":"/tmp/x","max_bytes":5,"filename":"/sdcard/B.3mf","name":"B"})");
  EXPECT_EQ(r.filename, "B.3mf") << "only the base name of a path";
  EXPECT_EQ(candidateNames(r),
            (std::vector<std::string>{"/cache/B.3mf", "/cache/B.gcode.3mf", "/B.3mf", "/B.gcode.3mf"}));
  for (const char* bad :
       {R"({"max_bytes":5,"name":"B"})", R"({"path":"rel","max_bytes":5,"name":"B"})",
        R"({"path":"/x","max_bytes":0,"name":"B"})", R"({"path":"/x","max_bytes":-1,"name":"B"})",
        R"({"path":"/x","max_bytes":5})", R"({"path":7,"max_bytes":5,"name":"B"})", "[]"}) {
    try {
      parseFetchRequest(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const sdk::Error& e) {
      EXPECT_EQ(e.code(), BB_ERR_INVALID_ARGUMENT) << bad;
    }
  }
  // A name with a path in it is never looked up as one.
  FetchRequest sneaky = parseFetchRequest(R"({"path":"/x","max_bytes":5,"name":"../../etc/passwd"})");
  EXPECT_TRUE(candidateNames(sneaky).empty());
}

} // namespace start_print_test
} // namespace bambuddy::printer_bambu::test
