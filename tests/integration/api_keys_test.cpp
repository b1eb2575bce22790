// API keys, permissions, rate limits and audit through real HTTP against the running server with
// the auth.apikey plugin.
#include "support/http_client.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <ctime>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace bambuddy::testing {
namespace api_keys_test {

using nlohmann::json;

// A fixed key with 256 bits of entropy (the server refuses a weak BAMBUDDY_ADMIN_KEY).
const std::string kAdminKey = "bb_WKrQT3StO1rgpvwL09bhGDxUM762jOpdu0j6OevZ7XA";

const std::vector<std::string> kPermissions = {
    "printers:read", "printers:control", "archives:read", "archives:write", "statistics:read",
    "queue:read",    "queue:write",      "settings:read", "settings:write", "admin"};

std::string idText(const json& id) {
  return id.is_string() ? id.get<std::string>() : id.dump();
}

class ApiKeysTest : public ::testing::Test {
protected:
  std::string config(const std::string& extra_server = "", const std::string& extra_top = "") {
    return dir_.write("bambuddy.yaml", "server:\n"
                                       "  listen: 127.0.0.1:0\n"
                                       "  max_request_size_bytes: 65536\n" +
                                           extra_server + "data_dir: " + dir_.file("data") + "\n" +
                                           extra_top +
                                           "plugins:\n"
                                           "  search_path: [" +
                                           pluginDir() +
                                           "]\n"
                                           "  load:\n"
                                           "    - name: storage.local\n"
                                           "    - name: auth.apikey\n");
  }

  void start(const std::string& extra_server = "", const std::string& extra_top = "") {
    server_ = std::make_unique<ServerProcess>(
        serverBinary(), std::vector<std::string>{"--config", config(extra_server, extra_top)},
        std::map<std::string, std::string>{{"BAMBUDDY_ADMIN_KEY", kAdminKey}});
    ASSERT_TRUE(server_->waitReady()) << server_->log();
  }

  HttpResult call(const std::string& method, const std::string& path, const std::string& key,
                  const std::string& body = "",
                  std::vector<std::pair<std::string, std::string>> headers = {}) {
    if (!key.empty()) {
      headers.emplace_back("X-API-Key", key);
    }
    if (!body.empty()) {
      headers.emplace_back("Content-Type", "application/json");
    }
    return httpRequest("127.0.0.1", server_->port(), method, path, body, headers);
  }

  // Creates a key and returns the creation answer (with "key" and "id").
  json createKey(const json& request) {
    auto r = call("POST", "/api/v1/api-keys", kAdminKey, request.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body, nullptr, false);
  }

  json createKeyWith(const std::vector<std::string>& permissions, const std::string& name = "test key") {
    return createKey(json{{"name", name}, {"permissions", permissions}});
  }

  size_t keyCount() {
    auto r = call("GET", "/api/v1/api-keys", kAdminKey);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body)["total"].get<size_t>();
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ApiKeysTest, MissingAndInvalidKeysGet401WithCodes) {
  start();
  auto missing = call("GET", "/api/v1/plugins", "");
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(json::parse(missing.body)["code"], "missing_api_key");
  auto invalid = call("GET", "/api/v1/plugins", "bb_" + std::string(43, 'B'));
  EXPECT_EQ(invalid.status, 401);
  EXPECT_EQ(json::parse(invalid.body)["code"], "invalid_api_key");
  auto bearer = call("GET", "/api/v1/plugins", "", "", {{"Authorization", "Bearer " + kAdminKey}});
  EXPECT_EQ(bearer.status, 200) << bearer.body;
  EXPECT_EQ(call("GET", "/health", "").status, 200) << "health stays public";
}

TEST_F(ApiKeysTest, EveryPermissionAgainstEachRouteFamily) {
  start();
  // Representative routes of the families that exist, with the permission each needs.
  const std::vector<std::pair<std::string, std::string>> routes = {{"/api/v1/plugins", "settings:read"},
                                                                   {"/api/v1/api-keys", "admin"},
                                                                   {"/api/v1/audit", "admin"},
                                                                   {"/api/v1/auth/me", ""}};
  for (const std::string& permission : kPermissions) {
    std::string key = createKeyWith({permission}, "perm " + permission)["key"];
    for (const auto& [path, needed] : routes) {
      auto r = call("GET", path, key);
      bool allowed = needed.empty() || needed == permission || permission == "admin";
      if (allowed) {
        EXPECT_EQ(r.status, 200) << permission << " " << path << " " << r.body;
      } else {
        ASSERT_EQ(r.status, 403) << permission << " " << path << " " << r.body;
        EXPECT_EQ(json::parse(r.body), json({{"detail", "API key lacks permission '" + needed + "'"},
                                             {"code", "forbidden"},
                                             {"required", needed}}));
      }
    }
  }
}

TEST_F(ApiKeysTest, KeyIsShownOnceAndNeverAgain) {
  start();
  json created = createKeyWith({"printers:read"});
  std::string key = created["key"];
  ASSERT_EQ(key.size(), 46u);
  EXPECT_EQ(key.rfind("bb_", 0), 0u);
  auto list = call("GET", "/api/v1/api-keys", kAdminKey);
  auto one = call("GET", "/api/v1/api-keys/" + idText(created["id"]), kAdminKey);
  auto me = call("GET", "/api/v1/auth/me", key);
  ASSERT_EQ(one.status, 200);
  for (const auto* r : {&list, &one, &me}) {
    EXPECT_EQ(r->body.find(key), std::string::npos) << r->body;
    EXPECT_EQ(r->body.find(key.substr(8, 30)), std::string::npos);
  }
  auto item = json::parse(one.body);
  EXPECT_EQ(item["prefix"], key.substr(0, 8));
  EXPECT_EQ(item["last4"], key.substr(key.size() - 4));
  ASSERT_EQ(server_->stop(), 0);
  EXPECT_EQ(server_->log().find(key), std::string::npos) << "the key must never be logged";
  EXPECT_EQ(server_->log().find(kAdminKey), std::string::npos);
}

TEST_F(ApiKeysTest, DeleteRevokesOnTheNextRequest) {
  start();
  json created = createKeyWith({"settings:read"});
  std::string key = created["key"];
  ASSERT_EQ(call("GET", "/api/v1/plugins", key).status, 200);
  auto del = call("DELETE", "/api/v1/api-keys/" + idText(created["id"]), kAdminKey);
  EXPECT_EQ(del.status, 204) << del.body;
  auto after = call("GET", "/api/v1/plugins", key);
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(json::parse(after.body)["code"], "invalid_api_key");
}

TEST_F(ApiKeysTest, ExpiredKeyIsRefused) {
  start();
  auto soon = std::chrono::system_clock::now() + std::chrono::seconds(2);
  std::time_t t = std::chrono::system_clock::to_time_t(soon);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  std::string key =
      createKey(json{{"name", "short"}, {"permissions", {"settings:read"}}, {"expires_at", when}})["key"];
  ASSERT_EQ(call("GET", "/api/v1/plugins", key).status, 200);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  HttpResult r;
  do {
    r = call("GET", "/api/v1/plugins", key);
    if (r.status == 401) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(r.status, 401);
  EXPECT_EQ(json::parse(r.body)["code"], "api_key_expired");
}

TEST_F(ApiKeysTest, RotationKeepsTheOldKeyForTheGracePeriodOnly) {
  start();
  json created = createKeyWith({"settings:read"});
  std::string old_key = created["key"];
  std::string id = idText(created["id"]);
  auto rotated = call("POST", "/api/v1/api-keys/" + id + "/rotate", kAdminKey, R"({"grace_period_s": 3600})");
  ASSERT_EQ(rotated.status, 201) << rotated.body;
  std::string new_key = json::parse(rotated.body)["key"];
  EXPECT_NE(new_key, old_key);
  EXPECT_EQ(call("GET", "/api/v1/plugins", old_key).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/plugins", new_key).status, 200);

  std::string rotated_id = idText(json::parse(rotated.body)["id"]);
  auto now =
      call("POST", "/api/v1/api-keys/" + rotated_id + "/rotate", kAdminKey, R"({"grace_period_s": 0})");
  ASSERT_EQ(now.status, 201) << now.body;
  std::string newest = json::parse(now.body)["key"];
  EXPECT_EQ(call("GET", "/api/v1/plugins", new_key).status, 401);
  EXPECT_EQ(call("GET", "/api/v1/plugins", newest).status, 200);
}

TEST_F(ApiKeysTest, KeysAndSettingsSurviveARestart) {
  start();
  json created = createKey(json{{"name", "Home Assistant"},
                                {"permissions", {"printers:read", "statistics:read"}},
                                {"allowed_ips", {"127.0.0.0/8"}},
                                {"rate_limits", {{"read", 250}}}});
  std::string key = created["key"];
  auto before = json::parse(call("GET", "/api/v1/auth/me", key).body);
  ASSERT_EQ(server_->stop(), 0);
  start();
  auto after = call("GET", "/api/v1/auth/me", key);
  ASSERT_EQ(after.status, 200) << after.body;
  auto me = json::parse(after.body);
  EXPECT_EQ(me["name"], "Home Assistant");
  EXPECT_EQ(me["permissions"], before["permissions"]);
  EXPECT_EQ(after.headers["x-ratelimit-limit"], "250");
}

TEST_F(ApiKeysTest, BadInputGetsPreciseErrorsAndChangesNothing) {
  start();
  size_t before = keyCount();
  auto unknown =
      call("POST", "/api/v1/api-keys", kAdminKey, R"({"name":"x","permissions":["printers:fly"]})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(json::parse(unknown.body)["errors"][0]["path"], "permissions[0]") << unknown.body;
  EXPECT_NE(unknown.body.find("printers:read"), std::string::npos)
      << "lists the valid names: " << unknown.body;
  auto empty = call("POST", "/api/v1/api-keys", kAdminKey, R"({"name":"","permissions":["printers:read"]})");
  EXPECT_EQ(empty.status, 400) << empty.body;
  auto cidr = call("POST", "/api/v1/api-keys", kAdminKey,
                   R"({"name":"x","permissions":["printers:read"],"allowed_ips":["10.0.0.0/33"]})");
  EXPECT_EQ(cidr.status, 400) << cidr.body;
  EXPECT_NE(cidr.body.find("10.0.0.0/33"), std::string::npos) << cidr.body;
  auto malformed = call("POST", "/api/v1/api-keys", kAdminKey, R"({"name": "x",)");
  EXPECT_EQ(malformed.status, 400) << malformed.body;
  auto huge = call("POST", "/api/v1/api-keys", kAdminKey, std::string(100000, ' '));
  EXPECT_EQ(huge.status, 413) << huge.body;
  EXPECT_EQ(keyCount(), before);
}

TEST_F(ApiKeysTest, AllowedIpsHonourTrustedProxiesOnly) {
  start("  trusted_proxies: [127.0.0.1/32]\n");
  std::string key = createKey(json{
      {"name", "lan only"}, {"permissions", {"settings:read"}}, {"allowed_ips", {"10.1.2.0/24"}}})["key"];
  auto direct = call("GET", "/api/v1/plugins", key);
  EXPECT_EQ(direct.status, 401);
  EXPECT_EQ(json::parse(direct.body)["code"], "ip_not_allowed");
  auto proxied = call("GET", "/api/v1/plugins", key, "", {{"X-Forwarded-For", "10.1.2.3"}});
  EXPECT_EQ(proxied.status, 200) << proxied.body;
}

TEST_F(ApiKeysTest, ForwardedForFromAnUntrustedPeerIsIgnored) {
  start();
  std::string key = createKey(json{
      {"name", "lan only"}, {"permissions", {"settings:read"}}, {"allowed_ips", {"10.1.2.0/24"}}})["key"];
  auto spoofed = call("GET", "/api/v1/plugins", key, "", {{"X-Forwarded-For", "10.1.2.3"}});
  EXPECT_EQ(spoofed.status, 401);
  EXPECT_EQ(json::parse(spoofed.body)["code"], "ip_not_allowed");
}

TEST_F(ApiKeysTest, RateLimitIsExactUnderConcurrency) {
  start();
  std::string key = createKey(
      json{{"name", "limited"}, {"permissions", {"settings:read"}}, {"rate_limits", {{"read", 100}}}})["key"];
  constexpr int kRequests = 150;
  std::vector<HttpResult> results(kRequests);
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int i = 0; i < kRequests; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) {
        std::this_thread::yield();
      }
      results[i] = call("GET", "/api/v1/auth/me", key);
    });
  }
  go = true;
  for (auto& t : threads) {
    t.join();
  }
  int ok = 0;
  int limited = 0;
  std::multiset<int> remaining;
  for (const auto& r : results) {
    if (r.status == 200) {
      ++ok;
      remaining.insert(std::stoi(r.headers.at("x-ratelimit-remaining")));
      EXPECT_EQ(r.headers.at("x-ratelimit-limit"), "100");
    } else {
      ASSERT_EQ(r.status, 429) << r.body << r.error;
      ++limited;
      EXPECT_GE(std::stoi(r.headers.at("retry-after")), 1);
      EXPECT_EQ(json::parse(r.body)["code"], "rate_limited");
      EXPECT_EQ(r.headers.at("x-ratelimit-remaining"), "0");
    }
  }
  EXPECT_EQ(ok, 100);
  EXPECT_EQ(limited, 50);
  // Every accepted request saw a distinct remaining count: 99, 98, ..., 0.
  std::multiset<int> expected;
  for (int i = 0; i < 100; ++i) {
    expected.insert(i);
  }
  EXPECT_EQ(remaining, expected);
}

TEST_F(ApiKeysTest, AuthenticatedResponsesCarryRateLimitHeaders) {
  start();
  auto r = call("GET", "/api/v1/auth/me", kAdminKey);
  ASSERT_EQ(r.status, 200);
  for (const char* h :
       {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "ratelimit-policy", "ratelimit"}) {
    EXPECT_EQ(r.headers.count(h), 1u) << h;
  }
  EXPECT_EQ(r.headers["ratelimit-policy"], "\"read\";q=100;w=60");
  auto limits = json::parse(r.body)["rate_limits"];
  EXPECT_EQ(limits, json({{"read", 100}, {"write", 30}, {"control", 10}})) << r.body;
  EXPECT_EQ(call("GET", "/health", "").headers.count("x-ratelimit-limit"), 0u);
}

TEST_F(ApiKeysTest, FailedAuthenticationIsLimitedPerClientAddress) {
  start("", "auth:\n  failed_auth_per_minute: 5\n");
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(call("GET", "/api/v1/plugins", "bb_" + std::string(43, 'C')).status, 401);
  }
  auto blocked = call("GET", "/api/v1/plugins", "bb_" + std::string(43, 'C'));
  EXPECT_EQ(blocked.status, 429);
  EXPECT_EQ(json::parse(blocked.body)["code"], "rate_limited");
  EXPECT_GE(std::stoi(blocked.headers.at("retry-after")), 1);
}

TEST_F(ApiKeysTest, AuditRecordsKeyChangesAndRefusalsWithoutSecrets) {
  start();
  json created = createKeyWith({"printers:read"});
  std::string key = created["key"];
  ASSERT_EQ(call("GET", "/api/v1/plugins", key).status, 403);
  ASSERT_EQ(call("GET", "/api/v1/plugins", "bb_" + std::string(43, 'D')).status, 401);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::set<std::string> kinds;
  HttpResult r;
  while (std::chrono::steady_clock::now() < deadline) {
    r = call("GET", "/api/v1/audit?limit=100", kAdminKey);
    ASSERT_EQ(r.status, 200) << r.body;
    kinds.clear();
    json page = json::parse(r.body);
    for (const auto& item : page["items"]) {
      kinds.insert(item["kind"].get<std::string>());
    }
    if (kinds.count("key_created") && kinds.count("forbidden") && kinds.count("auth_failed")) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_TRUE(kinds.count("key_created")) << r.body;
  EXPECT_TRUE(kinds.count("forbidden")) << r.body;
  EXPECT_TRUE(kinds.count("auth_failed")) << r.body;
  EXPECT_EQ(r.body.find(key), std::string::npos);
  EXPECT_EQ(r.body.find(std::string(43, 'D')), std::string::npos);
  auto filtered = call("GET", "/api/v1/audit?kind=forbidden", kAdminKey);
  ASSERT_EQ(filtered.status, 200);
  json filtered_page = json::parse(filtered.body);
  ASSERT_FALSE(filtered_page["items"].empty());
  for (const auto& item : filtered_page["items"]) {
    EXPECT_EQ(item["kind"], "forbidden");
  }
}

} // namespace api_keys_test
} // namespace bambuddy::testing
