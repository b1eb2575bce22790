// Printing on a Bambu printer end to end: the real server with printer.bambu, a real mosquitto
// (the printer's MQTT), a real implicit-FTPS server (proftpd) serving the simulated printer's
// storage, and the printer simulator that reads the uploaded 3MF when told project_file.
#include "support/bambu_sim_process.h"
#include "support/ftps_server.h"
#include "support/http_client.h"
#include "support/mosquitto_broker.h"
#include "support/server_process.h"
#include "support/temp_dir.h"
#include "support/three_mf_sample.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace bambuddy::testing {
namespace bambu_print_test {

using nlohmann::json;

const std::string kAdminKey = "bb_Q2dLQm9K0pWqX7vY3cRt-5uEe1HhNnZsA8fGk4jMwIo";
const std::string kAccessCode = "pr1ntc0de";
const std::string kSerial = "01S00PRINT00001";

struct Answer {
  int status = 0;
  json body;
  std::string raw;
};

uint16_t closedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

class BambuPrintTest : public ::testing::Test {
protected:
  void SetUp() override {
    broker_ = std::make_unique<MosquittoBroker>(MosquittoBrokerOptions{"bblp", kAccessCode});
    broker_->start();
    std::vector<std::string> args = BambuSimProcess::argsFor(*broker_, kSerial, 100);
    // 1 s of a plate's predicted time takes 10 ms.
    args.insert(args.end(),
                {"--storage-dir", dir_.file("storage"), "--time-scale", "0.01", "--job-duration-s", "1"});
    sim_ = std::make_unique<BambuSimProcess>(args);
    ASSERT_TRUE(sim_->waitLine("ready", 15000)) << sim_->transcript();
    storage_ = dir_.file("storage") + "/" + kSerial;
    FtpsServerOptions ftp;
    ftp.password = kAccessCode;
    ftp.storage_dir = storage_;
    startFtps(ftp);
    startServer();
  }

  void startFtps(FtpsServerOptions options) {
    ftps_.reset();
    ftps_ = std::make_unique<FtpsServer>(options);
    ftps_->start();
  }

  void startServer() {
    std::string yaml = "server:\n  listen: 127.0.0.1:0\n"
                       "auth:\n  rate_limits: {read: 100000, write: 100000, control: 100000}\n"
                       "data_dir: " +
                       dir_.file("data") + "\nplugins:\n  search_path: [" + pluginDir() +
                       "]\n  load:\n"
                       "    - name: storage.local\n"
                       "    - name: auth.apikey\n"
                       "    - name: printer.bambu\n"
                       "      config: {reconnect_min_ms: 100, reconnect_max_ms: 500, start_timeout_ms: 10000,"
                       " ftp_connect_timeout_ms: 5000, ftp_stall_timeout_ms: 5000}\n";
    server_ = std::make_unique<ServerProcess>(
        serverBinary(), std::vector<std::string>{"--config", dir_.write("bambuddy.yaml", yaml)},
        std::map<std::string, std::string>{{"BAMBUDDY_ADMIN_KEY", kAdminKey}});
    ASSERT_TRUE(server_->waitReady()) << server_->log();
  }

  Answer api(const std::string& method, const std::string& path, const json& body = nullptr) {
    std::vector<std::pair<std::string, std::string>> headers = {{"X-API-Key", kAdminKey}};
    std::string text;
    if (!body.is_null()) {
      text = body.dump();
      headers.emplace_back("Content-Type", "application/json");
    }
    HttpResult r = httpRequest("127.0.0.1", server_->port(), method, path, text, headers, 15000);
    return Answer{r.status, json::parse(r.body, nullptr, false), r.body};
  }

  Answer waitFor(const std::string& path, const std::function<bool(const json&)>& check,
                 int64_t deadline_ms = 20000) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms);
    Answer last;
    while (std::chrono::steady_clock::now() < until) {
      last = api("GET", path);
      if (last.status == 200 && check(last.body)) {
        return last;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "condition not reached on " << path << "; last answer " << last.raw;
    return last;
  }

  // The printer with the FTPS port of the test server; `extra` settings override.
  int64_t addPrinter(json extra = json::object()) {
    json settings = {{"host", "127.0.0.1"},
                     {"port", broker_->port()},
                     {"serial", kSerial},
                     {"access_code", kAccessCode},
                     {"ftp_port", ftps_->port()}};
    settings.update(extra);
    Answer a = api("POST", "/api/v1/printers",
                   {{"name", "X1C"}, {"driver", "printer.bambu"}, {"settings", settings}});
    EXPECT_EQ(a.status, 201) << a.raw;
    int64_t id = a.body.value("id", 0);
    waitFor("/api/v1/printers/" + std::to_string(id) + "/status",
            [](const json& s) { return s["connected"] == true; });
    return id;
  }

  int64_t upload(const std::string& name, const std::string& bytes) {
    HttpResult r =
        httpRequest("127.0.0.1", server_->port(), "POST", "/api/v1/archives?filename=" + name, bytes,
                    {{"X-API-Key", kAdminKey}, {"Content-Type", "application/octet-stream"}}, 30000);
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body, nullptr, false).value("id", 0);
  }

  // The print record of a start, once it ended.
  json endedPrint(int64_t record_id, int64_t deadline_ms = 30000) {
    return waitFor(
               "/api/v1/archives/" + std::to_string(record_id),
               [](const json& a) { return a["status"] != "printing"; }, deadline_ms)
        .body;
  }

  TempDir dir_;
  std::string storage_;
  std::unique_ptr<MosquittoBroker> broker_;
  std::unique_ptr<BambuSimProcess> sim_;
  std::unique_ptr<FtpsServer> ftps_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(BambuPrintTest, StartFromAnArchiveUploadsTheFileAndPrintsTheChosenPlate) {
  int64_t printer = addPrinter();
  std::string base = "/api/v1/printers/" + std::to_string(printer);
  const std::string bytes = multiPlateThreeMf("Two plates", {{1, 60, 4.0}, {2, 90, 12.5}});
  int64_t source = upload("two%20plates.3mf", bytes);
  size_t mark = sim_->mark();
  Answer start = api("POST", base + "/print/start",
                     {{"archive_id", source}, {"plate", 2}, {"use_ams", false}, {"timelapse", true}});
  ASSERT_EQ(start.status, 202) << start.raw;
  EXPECT_EQ(start.body["plate"], 2);
  ASSERT_TRUE(start.body["print"].is_object()) << start.raw;
  const int64_t record = start.body["print"]["id"];
  EXPECT_EQ(start.body["print"]["plate"], 2);

  // The simulator found the uploaded file, its MD5 right, and started plate 2.
  auto started = sim_->waitLine("project_file " + kSerial + " SUCCESS", 20000, mark);
  ASSERT_TRUE(started) << sim_->transcript() << "\n" << server_->log();
  EXPECT_NE(started->find("plate=2"), std::string::npos) << *started;
  EXPECT_EQ(readFile(storage_ + "/two_plates.3mf"), bytes) << "the file on the printer is the archive's";
  EXPECT_EQ(ftps_->countInCommandLog("STOR"), 1u) << ftps_->commandLog();

  waitFor(base + "/status", [](const json& s) { return s["state"] == "printing"; });
  // A busy printer refuses another start before anything moves.
  Answer busy = api("POST", base + "/print/start", {{"archive_id", source}});
  EXPECT_EQ(busy.status, 409) << busy.raw;
  EXPECT_EQ(busy.body["state"], "printing") << busy.raw;
  json ended = endedPrint(record);
  EXPECT_EQ(ended["status"], "success") << ended.dump();
  EXPECT_EQ(ended["source_archive_id"], source);
  ASSERT_TRUE(ended["filament_used"].is_number()) << ended.dump();
  EXPECT_DOUBLE_EQ(ended["filament_used"].get<double>(), 12.5) << "plate 2's weight";
  EXPECT_EQ(api("GET", base + "/status").body["transfer"], nullptr);

  // The same file again: it is on the printer already and is not sent a second time.
  ASSERT_EQ(api("POST", base + "/plate-cleared").status, 200);
  mark = sim_->mark();
  Answer again = api("POST", base + "/print/start", {{"archive_id", source}, {"plate", 1}});
  ASSERT_EQ(again.status, 202) << again.raw;
  auto second = sim_->waitLine("project_file " + kSerial + " SUCCESS", 20000, mark);
  ASSERT_TRUE(second) << sim_->transcript();
  EXPECT_NE(second->find("plate=1"), std::string::npos) << *second;
  EXPECT_EQ(ftps_->countInCommandLog("STOR"), 1u) << "not uploaded again: " << ftps_->commandLog();
  endedPrint(again.body["print"]["id"]);
}

TEST_F(BambuPrintTest, QueueDispatchesOneAfterAnotherBehindThePlateClearGate) {
  int64_t printer = addPrinter();
  std::string base = "/api/v1/printers/" + std::to_string(printer);
  EXPECT_EQ(api("GET", base).body["require_plate_clear"], true) << "on for real printers";
  int64_t source = upload("queued.3mf", multiPlateThreeMf("Queued", {{1, 30, 2.0}, {2, 30, 3.0}}));
  std::vector<int64_t> items;
  for (int plate : {1, 2, 1}) {
    Answer a =
        api("POST", "/api/v1/queue", {{"archive_id", source}, {"printer_id", printer}, {"plate", plate}});
    ASSERT_EQ(a.status, 201) << a.raw;
    items.push_back(a.body["id"]);
  }
  for (size_t i = 0; i < items.size(); ++i) {
    Answer done = waitFor(
        "/api/v1/queue/" + std::to_string(items[i]), [](const json& q) { return q["status"] == "completed"; },
        30000);
    json record =
        api("GET", "/api/v1/archives/" + std::to_string(done.body["print_archive_id"].get<int64_t>())).body;
    EXPECT_EQ(record["plate"], i == 1 ? 2 : 1) << record.dump();
    waitFor(base + "/status", [](const json& s) { return s["awaiting_plate_clear"] == true; });
    if (i + 1 < items.size()) {
      Answer next = waitFor("/api/v1/queue/" + std::to_string(items[i + 1]), [](const json& q) {
        return q["reason"].is_string() &&
               q["reason"].get<std::string>().find("plate-cleared") != std::string::npos;
      });
      EXPECT_EQ(next.body["status"], "pending");
    }
    ASSERT_EQ(api("POST", base + "/plate-cleared").status, 200);
  }
  EXPECT_EQ(ftps_->countInCommandLog("STOR"), 1u) << "one upload serves all three: " << ftps_->commandLog();
}

TEST_F(BambuPrintTest, APrintStartedOnThePrinterIsArchivedWithItsFile) {
  int64_t printer = addPrinter();
  ASSERT_TRUE(sim_->send("start " + kSerial));
  auto started = sim_->waitLine("started " + kSerial, 10000);
  ASSERT_TRUE(started) << sim_->transcript();
  Answer listed = waitFor("/api/v1/archives?printer_id=" + std::to_string(printer),
                          [](const json& b) { return b["total"] == 1 && b["items"][0]["has_file"] == true; });
  json record = listed.body["items"][0];
  EXPECT_TRUE(record["has_thumbnail"].get<bool>()) << record.dump();
  EXPECT_EQ(record["metadata"]["plates"].size(), 1u) << record.dump();
  EXPECT_TRUE(record["file_reason"].is_null()) << record.dump();
  json ended = endedPrint(record["id"]);
  EXPECT_EQ(ended["status"], "success");
  ASSERT_TRUE(ended["filament_used"].is_number()) << ended.dump();
  EXPECT_DOUBLE_EQ(ended["filament_used"].get<double>(), 7.5);
  EXPECT_NE(ended["filename"].get<std::string>().find(".3mf"), std::string::npos) << ended.dump();
}

TEST_F(BambuPrintTest, EachTransferFailureEndsThePrintWithItsReasonAndLeavesNothing) {
  int64_t source = upload("cube.3mf", sampleThreeMf("Cube", 30, 1.0));
  auto failWith = [&](int64_t printer, const std::string& code) {
    std::string base = "/api/v1/printers/" + std::to_string(printer);
    Answer start = api("POST", base + "/print/start", {{"archive_id", source}});
    EXPECT_EQ(start.status, 202) << start.raw;
    if (!start.body["print"].is_object()) {
      ADD_FAILURE() << "no print record: " << start.raw;
      return json();
    }
    json ended = endedPrint(start.body["print"]["id"]);
    EXPECT_EQ(ended["status"], "failed") << ended.dump();
    EXPECT_EQ(ended["error"]["code"], code) << ended.dump();
    EXPECT_TRUE(ended["error"]["message"].is_string()) << ended.dump();
    waitFor(base + "/status",
            [](const json& s) { return s["transfer"].is_null() && s["state"] != "preparing"; });
    EXPECT_EQ(api("GET", base + "/status").body["awaiting_plate_clear"], false)
        << "nothing was printed, the bed is as it was";
    // The driver deletes what it uploaded right after it reported the failure.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::filesystem::exists(storage_ + "/cube.3mf") && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_FALSE(std::filesystem::exists(storage_ + "/cube.3mf"))
        << code << ": something left on the printer";
    api("DELETE", base);
    return ended;
  };

  // Nothing listens on the FTPS port.
  failWith(addPrinter({{"ftp_port", closedPort()}}), "ftp_connection_refused");

  // The FTPS password is not the access code the printer has.
  FtpsServerOptions wrong;
  wrong.password = "somethingelse";
  wrong.storage_dir = storage_;
  startFtps(wrong);
  failWith(addPrinter(), "ftp_login_failed");
  EXPECT_EQ(ftps_->countInCommandLog("STOR"), 0u);

  // The card is full.
  FtpsServerOptions full;
  full.password = kAccessCode;
  full.storage_dir = storage_;
  full.max_store_file_size_bytes = 100;
  startFtps(full);
  failWith(addPrinter(), "ftp_no_space");

  // The pinned certificate is not the one the FTPS server shows (the broker's is): the password
  // never reaches it.
  FtpsServerOptions plain;
  plain.password = kAccessCode;
  plain.storage_dir = storage_;
  startFtps(plain);
  failWith(addPrinter({{"tls", {{"fingerprint_sha256", broker_->serverCertFingerprintSha256()}}}}),
           "ftp_pin_mismatch");
  EXPECT_EQ(ftps_->countInCommandLog("USER"), 0u) << ftps_->commandLog();
  EXPECT_EQ(ftps_->countInCommandLog("PASS"), 0u) << ftps_->commandLog();
}

TEST_F(BambuPrintTest, ARemovedPrinterStopsItsTransferAtOnce) {
  // A printer whose file service accepts the connection and then says nothing: the transfer hangs
  // in the TLS handshake until something cancels it.
  int silent = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(silent, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(silent, 16), 0);
  ASSERT_EQ(::getsockname(silent, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  int64_t printer = addPrinter({{"ftp_port", ntohs(addr.sin_port)}});
  std::string base = "/api/v1/printers/" + std::to_string(printer);
  int64_t source = upload("cube.3mf", sampleThreeMf("Cube", 30, 1.0));
  Answer start = api("POST", base + "/print/start", {{"archive_id", source}});
  ASSERT_EQ(start.status, 202) << start.raw;
  waitFor(base + "/status", [](const json& s) { return s["transfer"].is_object(); });
  auto t0 = std::chrono::steady_clock::now();
  Answer removed = api("DELETE", base);
  auto took_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  ::close(silent);
  EXPECT_EQ(removed.status, 204) << removed.raw;
  EXPECT_LT(took_ms, 3000) << "removal waited for the upload";
  EXPECT_EQ(api("GET", base).status, 404);
  EXPECT_EQ(api("GET", "/health").status, 200);
}

} // namespace bambu_print_test
} // namespace bambuddy::testing
