// POST /api/v1/printers/check against a real mosquitto broker (TLS + password) and the Bambu
// printer simulator, through the real server with printer.bambu: the right access code connects,
// a wrong one and an unreachable host fail with a precise reason, and a stored printer is checked
// with its stored access code, which never comes back.
#include "support/bambu_sim_process.h"
#include "support/http_client.h"
#include "support/mosquitto_broker.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace bambuddy::testing {
namespace printer_check_test {

using nlohmann::json;

const std::string kAdminKey = "bb_shWD-cYcXm546EH2yELRsvQSCecKR-RSnC0sxPFpdT8";
const std::string kAccessCode = "acc355c0de";
const std::string kSerial = "01S00CHECK00001";

struct Answer {
  int status = 0;
  json body;
  std::string raw;
};

// A loopback port nothing listens on (bound, then closed).
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

class PrinterCheckTest : public ::testing::Test {
protected:
  void SetUp() override {
    broker_ = std::make_unique<MosquittoBroker>(MosquittoBrokerOptions{"bblp", kAccessCode});
    broker_->start();
    sim_ = std::make_unique<BambuSimProcess>(BambuSimProcess::argsFor(*broker_, kSerial, 200));
    ASSERT_TRUE(sim_->waitLine("ready", 15000)) << sim_->transcript();
    std::string yaml = "server:\n  listen: 127.0.0.1:0\n"
                       "auth:\n  rate_limits: {read: 100000, write: 100000, control: 100000}\n"
                       "data_dir: " +
                       dir_.file("data") + "\nplugins:\n  search_path: [" + pluginDir() +
                       "]\n  load:\n"
                       "    - name: storage.local\n"
                       "    - name: auth.apikey\n"
                       "    - name: printer.bambu\n";
    server_ = std::make_unique<ServerProcess>(
        serverBinary(), std::vector<std::string>{"--config", dir_.write("bambuddy.yaml", yaml)},
        std::map<std::string, std::string>{{"BAMBUDDY_ADMIN_KEY", kAdminKey}});
    ASSERT_TRUE(server_->waitReady()) << server_->log();
  }

  Answer api(const std::string& method, const std::string& path, const json& body = nullptr,
             const std::string& key = kAdminKey) {
    std::vector<std::pair<std::string, std::string>> headers = {{"X-API-Key", key}};
    std::string text;
    if (!body.is_null()) {
      text = body.dump();
      headers.emplace_back("Content-Type", "application/json");
    }
    HttpResult r = httpRequest("127.0.0.1", server_->port(), method, path, text, headers, 15000);
    return Answer{r.status, json::parse(r.body, nullptr, false), r.body};
  }

  json settings(const std::string& access_code, uint16_t port = 0) const {
    return {{"host", "127.0.0.1"},
            {"port", port != 0 ? port : broker_->port()},
            {"serial", kSerial},
            {"access_code", access_code},
            {"tls", {{"ca_file", broker_->caFile()}}}};
  }

  // Starts a check and polls it until it is finished (deadline, no fixed sleeps).
  Answer check(const json& body) {
    Answer started = api("POST", "/api/v1/printers/check", body);
    EXPECT_EQ(started.status, 202) << started.raw;
    if (started.status != 202) {
      return started;
    }
    EXPECT_EQ(started.body["status"], "running");
    const std::string at = "/api/v1/printers/check/" + started.body["id"].get<std::string>();
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    Answer last;
    while (std::chrono::steady_clock::now() < until) {
      last = api("GET", at);
      if (last.status != 200 || last.body["status"] != "running") {
        return last;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "check still running: " << last.raw;
    return last;
  }

  TempDir dir_;
  std::unique_ptr<MosquittoBroker> broker_;
  std::unique_ptr<BambuSimProcess> sim_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(PrinterCheckTest, RightAccessCodeConnectsWrongOneAndClosedPortFailWithTheReason) {
  Answer ok = check({{"name", "X1C"}, {"driver", "printer.bambu"}, {"settings", settings(kAccessCode)}});
  EXPECT_EQ(ok.body["status"], "ok") << ok.raw;
  EXPECT_TRUE(ok.body["reason"].is_null()) << ok.raw;
  EXPECT_LE(ok.body["duration_ms"].get<int64_t>(), 10000);

  const size_t refused_before = broker_->countInLog("not authorised");
  Answer wrong = check({{"driver", "printer.bambu"}, {"settings", settings("wrongcode")}});
  EXPECT_EQ(wrong.body["status"], "failed") << wrong.raw;
  EXPECT_EQ(wrong.body["reason"], "auth_failed") << wrong.raw;
  EXPECT_NE(wrong.body["detail"].get<std::string>().find("access code"), std::string::npos) << wrong.raw;
  // mosquitto writes its log on its own schedule: the line may land just after the answer.
  const auto log_until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (broker_->countInLog("not authorised") <= refused_before &&
         std::chrono::steady_clock::now() < log_until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GT(broker_->countInLog("not authorised"), refused_before) << "the broker saw the wrong code";

  Answer closed = check({{"driver", "printer.bambu"}, {"settings", settings(kAccessCode, closedPort())}});
  EXPECT_EQ(closed.body["status"], "failed") << closed.raw;
  EXPECT_EQ(closed.body["reason"], "unreachable") << closed.raw;
  EXPECT_FALSE(closed.body["detail"].get<std::string>().empty());

  // The temporary instances are gone and no printer was added.
  Answer printers = api("GET", "/api/v1/printers");
  EXPECT_EQ(printers.body["items"].size(), 0u) << printers.raw;
  Answer plugins = api("GET", "/api/v1/plugins");
  EXPECT_EQ(plugins.raw.find("check-"), std::string::npos) << plugins.raw;
  EXPECT_EQ(server_->log().find(kAccessCode), std::string::npos);
}

TEST_F(PrinterCheckTest, StoredPrinterIsCheckedWithItsStoredAccessCodeWhichNeverComesBack) {
  Answer created =
      api("POST", "/api/v1/printers",
          json{{"name", "X1C"}, {"driver", "printer.bambu"}, {"settings", settings(kAccessCode)}});
  ASSERT_EQ(created.status, 201) << created.raw;
  const int64_t id = created.body["id"];

  Answer stored = check({{"printer_id", id}, {"settings", json::object()}});
  EXPECT_EQ(stored.body["status"], "ok") << stored.raw;
  EXPECT_EQ(stored.body["printer_id"], id);
  EXPECT_EQ(stored.raw.find(kAccessCode), std::string::npos);

  Answer masked =
      check({{"printer_id", id}, {"settings", {{"access_code", "********"}, {"serial", kSerial}}}});
  EXPECT_EQ(masked.body["status"], "ok") << "the mask keeps the stored code: " << masked.raw;

  Answer retyped = check({{"printer_id", id}, {"settings", {{"access_code", "wrongcode"}}}});
  EXPECT_EQ(retyped.body["reason"], "auth_failed") << retyped.raw;

  // A new destination needs the code again, as PATCH does: the stored one never goes elsewhere.
  Answer moved =
      api("POST", "/api/v1/printers/check", json{{"printer_id", id}, {"settings", {{"host", "localhost"}}}});
  EXPECT_EQ(moved.status, 400) << moved.raw;
  EXPECT_EQ(moved.body["code"], "secret_required");
  EXPECT_EQ(moved.body["fields"], json({"settings.access_code"}));
  Answer resent =
      check({{"printer_id", id}, {"settings", {{"host", "localhost"}, {"access_code", kAccessCode}}}});
  EXPECT_EQ(resent.body["status"], "ok") << resent.raw;

  // The printer itself was not changed by any of this.
  Answer after = api("GET", "/api/v1/printers/" + std::to_string(id));
  EXPECT_EQ(after.body["settings"]["host"], "127.0.0.1") << after.raw;
}

TEST_F(PrinterCheckTest, BadRequestsAreRefusedPreciselyAndChecksAreAdminOnlyAndAudited) {
  Answer key =
      api("POST", "/api/v1/api-keys", json{{"name", "settings"}, {"permissions", {"settings:write"}}});
  ASSERT_EQ(key.status, 201) << key.raw;
  Answer forbidden =
      api("POST", "/api/v1/printers/check",
          json{{"driver", "printer.bambu"}, {"settings", settings(kAccessCode)}}, key.body["key"]);
  EXPECT_EQ(forbidden.status, 403) << forbidden.raw;

  Answer missing =
      api("POST", "/api/v1/printers/check", json{{"driver", "printer.bambu"}, {"settings", {{"host", "x"}}}});
  EXPECT_EQ(missing.status, 400) << missing.raw;
  EXPECT_EQ(missing.body["code"], "invalid_settings");
  Answer driver =
      api("POST", "/api/v1/printers/check", json{{"driver", "printer.nope"}, {"settings", json::object()}});
  EXPECT_EQ(driver.body["code"], "invalid_driver") << driver.raw;
  Answer unknown =
      api("POST", "/api/v1/printers/check", json{{"driver", "printer.bambu"}, {"colour", "red"}});
  EXPECT_EQ(unknown.body["code"], "unknown_field") << unknown.raw;
  Answer nobody = api("POST", "/api/v1/printers/check", json{{"printer_id", 999}});
  EXPECT_EQ(nobody.status, 404) << nobody.raw;
  EXPECT_EQ(api("GET", "/api/v1/printers/check/chk_0000000000000000").status, 404);

  ASSERT_EQ(check({{"driver", "printer.bambu"}, {"settings", settings(kAccessCode)}}).body["status"], "ok");
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  Answer rows;
  while (std::chrono::steady_clock::now() < until) {
    rows = api("GET", "/api/v1/audit?kind=printer_checked");
    if (rows.status == 200 && !rows.body["items"].empty()) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(rows.body["items"].empty()) << rows.raw;
  const json& changes = rows.body["items"][0]["detail"]["changes"];
  EXPECT_NE(std::find(changes.begin(), changes.end(), json("settings.access_code")), changes.end())
      << rows.raw;
  EXPECT_EQ(rows.raw.find(kAccessCode), std::string::npos);
}

} // namespace printer_check_test
} // namespace bambuddy::testing
