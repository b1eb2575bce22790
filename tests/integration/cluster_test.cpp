// Two server instances on one PostgreSQL database (cluster.enabled), as an operator runs them
// behind a load balancer: what the API changes on one reaches the other within a second (API keys
// above all: a deleted key stops working everywhere), printers added on the standby are connected
// by the instance holding the farm, and each instance enforces its share of a key's rate limit.
// Runs in the postgresql.* pass (an SQLite file belongs to one process).
#include "support/http_client.h"
#include "support/server_process.h"
#include "support/shared_postgres.h"
#include "support/sse_client.h"
#include "support/temp_dir.h"
#include "support/three_mf_sample.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace bambuddy::testing {
namespace cluster_test {

using nlohmann::json;

const std::string kAdminKey = "bb_Cl6sT3rT2stK3yW1thEnoughEntropy0123456789ab";

struct Answer {
  int status = 0;
  json body;
  std::string raw;
  std::map<std::string, std::string> headers;
};

class ClusterTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (!onSharedPostgres()) {
      GTEST_SKIP()
          << "several instances share a PostgreSQL database: this test runs as postgresql.ClusterTest.*";
    }
    const std::string yaml = "server:\n  listen: 127.0.0.1:0\n"
                             "auth:\n  rate_limits: {read: 100000, write: 100000, control: 100000}\n"
                             "cluster: {enabled: true, heartbeat_ms: 300, lease_ms: 1500}\n"
                             "data_dir: " +
                             dir_.file("data") + "\nplugins:\n  search_path: [" + pluginDir() +
                             "]\n  load:\n"
                             "    - name: storage.local\n"
                             "    - name: auth.apikey\n"
                             "    - name: notifier.webhook\n"
                             "    - name: printer.sim\n";
    const std::string config = dir_.write("bambuddy.yaml", yaml); // one file, so one database
    first_ = start(config);
    second_ = start(config);
  }

  std::unique_ptr<ServerProcess> start(const std::string& config) {
    auto server = std::make_unique<ServerProcess>(
        serverBinary(), std::vector<std::string>{"--config", config},
        std::map<std::string, std::string>{{"BAMBUDDY_ADMIN_KEY", kAdminKey}});
    EXPECT_TRUE(server->waitReady(30000)) << server->log();
    return server;
  }

  Answer api(const ServerProcess& server, const std::string& method, const std::string& path,
             const json& body = nullptr, const std::string& key = kAdminKey) {
    std::vector<std::pair<std::string, std::string>> headers = {{"X-API-Key", key}};
    std::string text;
    if (!body.is_null()) {
      text = body.dump();
      headers.emplace_back("Content-Type", "application/json");
    }
    HttpResult r = httpRequest("127.0.0.1", server.port(), method, path, text, headers);
    return Answer{r.status, json::parse(r.body, nullptr, false), r.body, r.headers};
  }

  // Polls until `check` holds; returns how long that took (ms), or -1 after `deadline_ms`.
  int64_t within(const std::function<bool()>& check, int64_t deadline_ms) {
    const auto start = std::chrono::steady_clock::now();
    const auto until = start + std::chrono::milliseconds(deadline_ms);
    while (std::chrono::steady_clock::now() < until) {
      if (check()) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)
            .count();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10)); // polling a condition, with a deadline
    }
    return -1;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> first_;
  std::unique_ptr<ServerProcess> second_;
};

TEST_F(ClusterTest, AKeyMadeOrDeletedOnOneInstanceCountsOnTheOtherWithinASecond) {
  Answer made =
      api(*first_, "POST", "/api/v1/api-keys", json{{"name", "script"}, {"permissions", {"printers:read"}}});
  ASSERT_EQ(made.status, 201) << made.raw;
  const std::string key = made.body.value("key", "");
  const int64_t id = made.body.value("id", 0);
  const int64_t known_ms =
      within([&] { return api(*second_, "GET", "/api/v1/printers", nullptr, key).status == 200; }, 1000);
  EXPECT_GE(known_ms, 0) << "a key made on the first instance works on the second within a second";

  ASSERT_EQ(api(*first_, "DELETE", "/api/v1/api-keys/" + std::to_string(id)).status, 204);
  const int64_t gone_ms =
      within([&] { return api(*second_, "GET", "/api/v1/printers", nullptr, key).status == 401; }, 1000);
  EXPECT_GE(gone_ms, 0) << "a key deleted on the first instance is refused by the second within a second";
  std::printf("[Cluster] key known on the other instance after %lld ms, refused after %lld ms\n",
              static_cast<long long>(known_ms), static_cast<long long>(gone_ms));
}

TEST_F(ClusterTest, SettingsProvidersAndPrintersChangedOnOneInstanceReachTheOther) {
  Answer patched = api(*second_, "PATCH", "/api/v1/settings", json{{"offline_debounce_s", 7}});
  ASSERT_EQ(patched.status, 200) << patched.raw;
  EXPECT_GE(within(
                [&] {
                  return api(*first_, "GET", "/api/v1/settings").body.value("offline_debounce_s", 0.0) == 7.0;
                },
                1000),
            0)
      << "settings";

  Answer provider =
      api(*second_, "POST", "/api/v1/notifications",
          json{{"type", "webhook"}, {"name", "ops"}, {"settings", {{"url", "http://127.0.0.1:9/hook"}}}});
  ASSERT_EQ(provider.status, 201) << provider.raw;
  const std::string provider_path = "/api/v1/notifications/" + std::to_string(provider.body.value("id", 0));
  EXPECT_GE(within([&] { return api(*first_, "GET", provider_path).status == 200; }, 1000), 0)
      << "new provider";
  ASSERT_EQ(api(*second_, "PATCH", provider_path, json{{"name", "ops-renamed"}}).status, 200);
  EXPECT_GE(within([&] { return api(*first_, "GET", provider_path).body.value("name", "") == "ops-renamed"; },
                   1000),
            0)
      << "renamed provider";
  ASSERT_EQ(api(*second_, "DELETE", provider_path).status, 204);
  EXPECT_GE(within([&] { return api(*first_, "GET", provider_path).status == 404; }, 1000), 0)
      << "removed provider";

  // A printer added through the standby: listed by the other within a second, and connected by
  // the instance holding the farm (the first), never by the standby.
  Answer printer = api(*second_, "POST", "/api/v1/printers",
                       json{{"name", "added-on-standby"},
                            {"driver", "printer.sim"},
                            {"settings", {{"report_interval_ms", 50}}}});
  ASSERT_EQ(printer.status, 201) << printer.raw;
  const std::string printer_path = "/api/v1/printers/" + std::to_string(printer.body.value("id", 0));
  EXPECT_GE(within([&] { return api(*first_, "GET", printer_path).status == 200; }, 1000), 0)
      << "new printer";
  EXPECT_GE(
      within([&] { return api(*first_, "GET", printer_path + "/status").body.value("connected", false); },
             5000),
      0)
      << "the farm's instance connects it\n"
      << first_->log();
  EXPECT_FALSE(api(*second_, "GET", printer_path + "/status").body.value("connected", false))
      << "the standby never connects it";
  ASSERT_EQ(api(*second_, "PATCH", printer_path, json{{"name", "renamed"}}).status, 200);
  EXPECT_GE(
      within([&] { return api(*first_, "GET", printer_path).body.value("name", "") == "renamed"; }, 1000), 0)
      << "renamed printer";
  ASSERT_EQ(api(*second_, "DELETE", printer_path).status, 204);
  EXPECT_GE(within([&] { return api(*first_, "GET", printer_path).status == 404; }, 1000), 0)
      << "removed printer";
}

// A print started through the instance that does not connect the printer: the start is relayed to
// the instance that does (same 202 answer), the standby shows the printer's live status, and its
// event stream carries every print event with the print's archive_id.
TEST_F(ClusterTest, APrintStartedThroughTheStandbyRunsWhereThePrinterIsAndItsStreamShowsIt) {
  ASSERT_GE(
      within([&] { return httpRequest("127.0.0.1", first_->port(), "GET", "/health/farm").status == 200; },
             10000),
      0)
      << "the first instance runs the farm";
  Answer added = api(*second_, "POST", "/api/v1/printers",
                     json{{"name", "relayed"},
                          {"driver", "printer.sim"},
                          {"settings", {{"speed", 600}, {"report_interval_ms", 50}}}});
  ASSERT_EQ(added.status, 201) << added.raw;
  const std::string base = "/api/v1/printers/" + std::to_string(added.body.value("id", int64_t{0}));
  std::string connected_by;
  ASSERT_GE(within(
                [&] {
                  Answer s = api(*second_, "GET", base + "/status");
                  connected_by = s.body.value("connected_by", "");
                  return s.body.value("connected", false) && !connected_by.empty();
                },
                10000),
            0)
      << "the standby shows the printer the farm's instance connected: "
      << api(*second_, "GET", base + "/status").raw;
  EXPECT_EQ(api(*first_, "GET", base + "/status").body.value("connected_by", ""), connected_by);

  HttpResult uploaded =
      httpRequest("127.0.0.1", second_->port(), "POST", "/api/v1/archives?filename=relayed.3mf",
                  sampleThreeMf("Relayed", 1200, 3.0),
                  {{"X-API-Key", kAdminKey}, {"Content-Type", "application/octet-stream"}});
  ASSERT_EQ(uploaded.status, 201) << uploaded.body;
  SseClient stream;
  ASSERT_TRUE(stream.open("127.0.0.1", second_->port(), "/api/v1/events/stream", {{"X-API-Key", kAdminKey}}))
      << stream.error();
  ASSERT_EQ(stream.status(), 200);

  Answer started = api(*second_, "POST", base + "/print/start",
                       json{{"archive_id", json::parse(uploaded.body).value("id", int64_t{0})}});
  ASSERT_EQ(started.status, 202) << "relayed to the farm's instance: " << started.raw;
  EXPECT_EQ(started.body.value("accepted", false), true) << started.raw;
  Answer busy = api(*second_, "POST", base + "/print/start",
                    json{{"archive_id", json::parse(uploaded.body).value("id", int64_t{0})}});
  EXPECT_EQ(busy.status, 409) << "the connected instance's refusal, relayed: " << busy.raw;

  auto events = stream.until("print_complete", 30000);
  ASSERT_TRUE(events) << stream.raw();
  size_t progress = 0;
  for (const SseEvent& e : *events) {
    if (e.event.rfind("print_", 0) != 0) {
      continue;
    }
    const json body = json::parse(e.data);
    EXPECT_TRUE(body["data"].contains("archive_id") && body["data"]["archive_id"].is_number_integer())
        << e.event << " on the standby's stream lacks archive_id: " << e.data;
    progress += e.event == "print_progress" ? 1 : 0;
  }
  EXPECT_GT(progress, 0u) << stream.raw();
}

TEST_F(ClusterTest, OnlyTheInstanceRunningTheFarmPassesTheLoadBalancersCheckUntilItStops) {
  EXPECT_EQ(httpRequest("127.0.0.1", first_->port(), "GET", "/health/farm").status, 200);
  HttpResult standby = httpRequest("127.0.0.1", second_->port(), "GET", "/health/farm");
  EXPECT_EQ(standby.status, 503);
  EXPECT_EQ(json::parse(standby.body, nullptr, false).value("status", ""), "standby");
  EXPECT_EQ(httpRequest("127.0.0.1", second_->port(), "GET", "/health").status, 200) << "alive all the same";
  // An orderly stop gives the leases back: the other passes the check at its next heartbeat.
  ASSERT_EQ(first_->stop(), 0) << first_->log();
  EXPECT_GE(
      within([&] { return httpRequest("127.0.0.1", second_->port(), "GET", "/health/farm").status == 200; },
             3000),
      0)
      << second_->log();
}

TEST_F(ClusterTest, AnInstanceThatAloneServesTheApiEnforcesTheWholeLimit) {
  // The load balancer sends everything to the farm's instance: the standby answers nothing, so the
  // first instance keeps the key's whole limit (a share would halve what the client gets).
  Answer made =
      api(*first_, "POST", "/api/v1/api-keys",
          json{{"name", "limited"}, {"permissions", {"printers:read"}}, {"rate_limits", {{"read", 40}}}});
  ASSERT_EQ(made.status, 201) << made.raw;
  const std::string key = made.body.value("key", "");
  int checks = 0, whole = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1200); // four heartbeats
  while (std::chrono::steady_clock::now() < until && checks < 30) {
    whole +=
        api(*first_, "GET", "/api/v1/auth/me", nullptr, key).headers["x-ratelimit-limit"] == "40" ? 1 : 0;
    ++checks;
    std::this_thread::sleep_for(std::chrono::milliseconds(40)); // spreading the checks over the heartbeats
  }
  EXPECT_EQ(whole, checks) << "the whole limit on the only instance serving the API";
}

TEST_F(ClusterTest, EachInstanceEnforcesItsShareOfAKeysRateLimit) {
  Answer made =
      api(*first_, "POST", "/api/v1/api-keys",
          json{{"name", "limited"}, {"permissions", {"printers:read"}}, {"rate_limits", {{"read", 40}}}});
  ASSERT_EQ(made.status, 201) << made.raw;
  const std::string key = made.body.value("key", "");
  ASSERT_GE(within([&] { return api(*second_, "GET", "/api/v1/auth/me", nullptr, key).status == 200; }, 1000),
            0)
      << api(*second_, "GET", "/api/v1/auth/me", nullptr, key).raw;
  // Two instances alive: each allows half, so a client spread over both gets the key's limit. The
  // first instance learns of the second at its next heartbeat (300 ms here).
  auto limitOn = [&](const ServerProcess& server) {
    return api(server, "GET", "/api/v1/auth/me", nullptr, key).headers["x-ratelimit-limit"];
  };
  EXPECT_GE(within([&] { return limitOn(*first_) == "20"; }, 2000), 0) << first_->log();
  EXPECT_GE(within([&] { return limitOn(*second_) == "20"; }, 2000), 0) << second_->log();
  // Spent so far: what the checks above took from the key's budget on each instance.
  const int spent_first =
      20 - std::stoi(api(*first_, "GET", "/api/v1/auth/me", nullptr, key).headers["x-ratelimit-remaining"]);
  const int spent_second =
      20 - std::stoi(api(*second_, "GET", "/api/v1/auth/me", nullptr, key).headers["x-ratelimit-remaining"]);
  int allowed = 0;
  for (int i = 0; i < 60; ++i) {
    allowed +=
        api(i % 2 == 0 ? *first_ : *second_, "GET", "/api/v1/auth/me", nullptr, key).status == 200 ? 1 : 0;
  }
  EXPECT_EQ(allowed, 40 - spent_first - spent_second) << "the key's 40 a minute over both, no more";
  std::printf("[Cluster] limit 40/min, two instances: a client alternating between them got %d of 60 "
              "(after %d spent on checks)\n",
              allowed, spent_first + spent_second);
}

} // namespace cluster_test
} // namespace bambuddy::testing
