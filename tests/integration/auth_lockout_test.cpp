// Attack 2 of issue 13 against the real server: strangers without a key, or with wrong keys, from
// the same address as the operator must not lock the operator's valid key out; wrong keys are
// still throttled, and the audit log gets one row per address and minute instead of one per 401.
#include "support/http_client.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace bambuddy::testing {
namespace auth_lockout_test {

using nlohmann::json;

// A fixed key with 256 bits of entropy.
const std::string kAdminKey = "bb_0vQk3Xh9Lr2TzW5mBc8NpYd4Fs7Ju1GaE6iKo-HxR_t";
// Well formed but unknown: a wrong key, not a missing one.
const std::string kWrongKey = "bb_Wr0ngK3yWr0ngK3yWr0ngK3yWr0ngK3yWr0ngK3yWr0";

int64_t wallMinute() {
  using namespace std::chrono;
  return duration_cast<minutes>(system_clock::now().time_since_epoch()).count();
}

class AuthLockoutTest : public ::testing::Test {
protected:
  void start(const std::string& extra_top = "") {
    std::string config = dir_.write("bambuddy.yaml", "server:\n  listen: 127.0.0.1:0\n"
                                                     "data_dir: " +
                                                         dir_.file("data") + "\n" + extra_top +
                                                         "plugins:\n  search_path: [" + pluginDir() +
                                                         "]\n  load:\n    - name: storage.local\n"
                                                         "    - name: auth.apikey\n");
    server_ = std::make_unique<ServerProcess>(
        serverBinary(), std::vector<std::string>{"--config", config},
        std::map<std::string, std::string>{{"BAMBUDDY_ADMIN_KEY", kAdminKey}});
    ASSERT_TRUE(server_->waitReady()) << server_->log();
  }

  HttpResult get(const std::string& path, const std::string& key = "") {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!key.empty()) {
      headers.emplace_back("X-API-Key", key);
    }
    return httpRequest("127.0.0.1", server_->port(), "GET", path, "", headers);
  }

  // The auth_failed rows for 127.0.0.1 once their counts add up to `expected` (deadline 10 s).
  json failureRows(int64_t expected) {
    json items = json::array();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      HttpResult r = get("/api/v1/audit?kind=auth_failed&client_ip=127.0.0.1&limit=100", kAdminKey);
      EXPECT_EQ(r.status, 200) << r.body;
      items = json::parse(r.body)["items"];
      int64_t total = 0;
      for (const json& item : items) {
        total += item["detail"]["count"].get<int64_t>();
      }
      if (total >= expected) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return items;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(AuthLockoutTest, KeylessRequestsDoNotLockOutTheAdminKey) {
  start();
  for (int i = 0; i < 30; ++i) {
    HttpResult r = get("/api/v1/printers");
    ASSERT_EQ(r.status, 401) << i << " " << r.body;
    EXPECT_EQ(json::parse(r.body)["code"], "missing_api_key");
  }
  HttpResult admin = get("/api/v1/printers", kAdminKey);
  EXPECT_EQ(admin.status, 200) << admin.body;
  // Keyless requests spent no failed-auth budget: a wrong key is still a plain 401.
  EXPECT_EQ(get("/api/v1/printers", kWrongKey).status, 401);
}

TEST_F(AuthLockoutTest, WrongKeysAreThrottledButTheAdminKeyStillAnswers) {
  start();
  const int64_t first_minute = wallMinute();
  int refused_401 = 0;
  int refused_429 = 0;
  for (int i = 0; i < 25; ++i) {
    HttpResult r = get("/api/v1/printers", kWrongKey);
    ASSERT_TRUE(r.status == 401 || r.status == 429) << r.status << " " << r.body;
    (r.status == 401 ? refused_401 : refused_429) += 1;
  }
  EXPECT_EQ(refused_401, 20) << "auth.failed_auth_per_minute defaults to 20";
  EXPECT_EQ(refused_429, 5);
  // The valid key from the same address is accepted...
  HttpResult admin = get("/api/v1/printers", kAdminKey);
  EXPECT_EQ(admin.status, 200) << admin.body;
  // ...while another wrong key is still throttled.
  HttpResult wrong = get("/api/v1/printers", "bb_An0therWr0ngK3yAn0therWr0ngK3yAn0therWr0ngX");
  ASSERT_EQ(wrong.status, 429) << wrong.body;
  EXPECT_EQ(json::parse(wrong.body)["code"], "rate_limited");
  EXPECT_GE(std::stoi(wrong.headers.at("retry-after")), 1);
  // And keyless requests are counted apart: still 401, not 429.
  EXPECT_EQ(get("/api/v1/printers").status, 401);
  const int64_t last_minute = wallMinute();

  // 27 failures: one aggregated row per minute the burst touched, not one per 401.
  json rows = failureRows(27);
  ASSERT_FALSE(rows.empty());
  EXPECT_LE(static_cast<int64_t>(rows.size()), last_minute - first_minute + 1) << rows.dump();
  int64_t count = 0, throttled = 0;
  for (const json& row : rows) {
    EXPECT_EQ(row["kind"], "auth_failed");
    EXPECT_EQ(row["client_ip"], "127.0.0.1");
    count += row["detail"]["count"].get<int64_t>();
    throttled += row["detail"].value("throttled", 0);
  }
  EXPECT_EQ(count, 27) << rows.dump();
  EXPECT_EQ(throttled, 6) << rows.dump();
  HttpResult audit = get("/api/v1/audit?limit=100", kAdminKey);
  EXPECT_EQ(audit.body.find(kWrongKey), std::string::npos) << "keys are never stored";
}

TEST_F(AuthLockoutTest, KeylessLimitRefusesKeylessRequestsOnly) {
  start("auth:\n  keyless_per_minute: 10\n");
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(get("/api/v1/printers").status, 401) << i;
  }
  HttpResult over = get("/api/v1/printers");
  ASSERT_EQ(over.status, 429) << over.body;
  EXPECT_EQ(json::parse(over.body)["code"], "rate_limited");
  EXPECT_GE(std::stoi(over.headers.at("retry-after")), 1);
  EXPECT_EQ(get("/api/v1/printers", kAdminKey).status, 200);
  EXPECT_EQ(get("/api/v1/printers", kWrongKey).status, 401);
  EXPECT_EQ(get("/health").status, 200) << "public routes are never limited";
}

} // namespace auth_lockout_test
} // namespace bambuddy::testing
