// AuthGate with the real plugin host and a fixed-key test auth plugin (plugins/test_auth.c):
// 401 codes, 403 body, 429 and rate-limit headers, failed-auth limit per IP, trusted proxies,
// audit rows, and the route-table check.
#include "auth/audit_log.h"
#include "auth/auth_gate.h"

#include "config/core_config.h"
#include "plugins/plugin_host.h"
#include "support/core_services.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <set>

namespace bambuddy::auth {
namespace auth_gate_test {

constexpr int64_t kT0 = 1705329000000; // 2024-01-15T14:30:00Z
constexpr int64_t kDay = 24LL * 3600 * 1000;

using Headers = std::vector<std::pair<std::string, std::string>>;

std::string headerValue(const Headers& headers, const std::string& name) {
  for (const auto& [k, v] : headers) {
    if (k == name) {
      return v;
    }
  }
  return "<absent>";
}

http::RouteSpec route(http::Method method, std::string pattern, std::string permission, http::RateClass rc) {
  http::RouteSpec r;
  r.method = method;
  r.pattern = std::move(pattern);
  r.permission = std::move(permission);
  r.rate_class = rc;
  r.handler = [](const http::Request&) { return http::Response::json(200, nlohmann::json::object()); };
  return r;
}

class AuthGateTest : public ::testing::Test {
protected:
  void SetUp() override {
    host_ = std::make_unique<plugins::PluginHost>(plugins::HostServices{
        core_.logger(), core_.bus(), core_.kv(), core_.dir().path(), [this] { return now_.load(); }});
    std::string yaml = "data_dir: " + core_.dir().path() +
                       "\nplugins:\n  search_path: []\n  load:\n    - name: auth.test\n      path: " +
                       std::string(AUTH_TEST_PLUGIN) + "\n";
    config::Environment env;
    env.exe_dir = core_.dir().path();
    host_->loadAll(config::parseCoreConfig(yaml, core_.dir().file("bambuddy.yaml"), env));
    audit_ = std::make_unique<AuditLog>(core_.database(), core_.bus(), core_.logger(), 90 * kDay * 1000);
    makeGate(AuthSettings{});
  }

  void TearDown() override {
    gate_.reset();
    audit_.reset();
    host_.reset();
  }

  void makeGate(AuthSettings settings) {
    gate_ = std::make_unique<AuthGate>(std::move(settings), *host_, audit_.get(), core_.logger(),
                                       [this] { return now_.load(); });
  }

  struct Outcome {
    std::optional<http::Response> refused;
    Headers headers;
    http::Request request;
    int status() const { return refused ? refused->status : 200; }
    nlohmann::json body() const { return nlohmann::json::parse(refused->body); }
    std::string header(const std::string& name) const {
      std::string v = headerValue(headers, name);
      return v == "<absent>" && refused ? headerValue(refused->headers, name) : v;
    }
  };

  Outcome call(const http::RouteSpec& r, const std::string& key, const std::string& ip = "127.0.0.1",
               Headers extra = {}) {
    Outcome out;
    out.request.method = r.method;
    out.request.path = r.pattern;
    out.request.client_ip = ip;
    if (!key.empty()) {
      out.request.headers.emplace_back("x-api-key", key);
    }
    for (auto& h : extra) {
      out.request.headers.push_back(h);
    }
    out.refused = (*gate_)(r, out.request, out.headers);
    return out;
  }

  std::vector<AuditEntry> audit(const std::string& kind) {
    EXPECT_TRUE(audit_->flush(5000));
    AuditFilter f;
    f.kind = kind;
    return audit_->list(f).items;
  }

  testing::CoreServices core_;
  std::atomic<int64_t> now_{kT0};
  std::unique_ptr<plugins::PluginHost> host_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<AuthGate> gate_;

  const http::RouteSpec health_ = route(http::Method::Get, "/health", "", http::RateClass::None);
  const http::RouteSpec me_ =
      route(http::Method::Get, "/api/v1/auth/me", "authenticated", http::RateClass::Read);
  const http::RouteSpec printers_ =
      route(http::Method::Get, "/api/v1/printers", "printers:read", http::RateClass::Read);
  const http::RouteSpec pause_ = route(http::Method::Post, "/api/v1/printers/{id}/print/pause",
                                       "printers:control", http::RateClass::Control);
  const http::RouteSpec queue_add_ =
      route(http::Method::Post, "/api/v1/queue", "queue:write", http::RateClass::Write);
};

TEST_F(AuthGateTest, PublicRoutesPassUntouched) {
  Outcome o = call(health_, "");
  EXPECT_FALSE(o.refused);
  EXPECT_TRUE(o.headers.empty());
  EXPECT_FALSE(o.request.principal);
}

TEST_F(AuthGateTest, ValidKeyFillsThePrincipalAndHeaders) {
  Outcome o = call(printers_, "bb_test_reader");
  ASSERT_FALSE(o.refused) << o.refused->body;
  ASSERT_TRUE(o.request.principal);
  EXPECT_EQ(o.request.principal->id, "key-reader");
  EXPECT_EQ(o.request.principal->display_name, "reader key");
  EXPECT_EQ(o.request.principal->permissions, BB_PERM_PRINTERS_READ);
  EXPECT_EQ(o.header("X-RateLimit-Limit"), "100");
  EXPECT_EQ(o.header("X-RateLimit-Remaining"), "99");
  EXPECT_EQ(o.header("X-RateLimit-Reset"), std::to_string(kT0 / 1000 + 60));
  EXPECT_EQ(o.header("RateLimit-Policy"), "\"read\";q=100;w=60");
  EXPECT_EQ(o.header("RateLimit"), "\"read\";r=99;t=60");
}

TEST_F(AuthGateTest, BearerHeaderWorksToo) {
  Outcome o = call(me_, "", "127.0.0.1", {{"Authorization", "Bearer bb_test_admin"}});
  ASSERT_FALSE(o.refused) << o.refused->body;
  EXPECT_EQ(o.request.principal->id, "key-admin");
}

TEST_F(AuthGateTest, MissingKeyIs401) {
  Outcome o = call(printers_, "");
  ASSERT_EQ(o.status(), 401);
  EXPECT_EQ(o.body()["code"], "missing_api_key");
  EXPECT_EQ(o.body()["detail"], "provide an API key in the X-API-Key header or Authorization: Bearer");
  EXPECT_EQ(o.header("WWW-Authenticate"), "Bearer realm=\"bambuddy\"");
  EXPECT_EQ(o.header("X-RateLimit-Limit"), "<absent>");
}

TEST_F(AuthGateTest, PluginReasonsBecomeCodes) {
  Outcome bad = call(printers_, "bb_wrongKEY123456");
  ASSERT_EQ(bad.status(), 401);
  EXPECT_EQ(bad.body()["code"], "invalid_api_key");
  Outcome expired = call(printers_, "bb_test_expired");
  ASSERT_EQ(expired.status(), 401);
  EXPECT_EQ(expired.body()["code"], "api_key_expired");
  EXPECT_EQ(expired.body()["detail"], "the API key has expired");
  EXPECT_EQ(expired.refused->body.find("bb_test_expired"), std::string::npos) << "never echo a key";

  // Both failures from one address in one minute are one row, keeping the first one's details.
  auto rows = audit("auth_failed");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].reason, "invalid_api_key");
  EXPECT_EQ(rows[0].key_prefix, "bb_wrong");
  EXPECT_EQ(rows[0].client_ip, "127.0.0.1");
  EXPECT_EQ(rows[0].path, "/api/v1/printers");
  nlohmann::json detail = nlohmann::json::parse(rows[0].detail_json);
  EXPECT_EQ(detail["count"], 2);
  EXPECT_EQ(detail["reasons"], (nlohmann::json{{"invalid_api_key", 1}, {"api_key_expired", 1}}));
  EXPECT_EQ(core_.log().find("bb_test_expired"), std::string::npos) << "never log a key";
}

TEST_F(AuthGateTest, PluginErrorIs503NotAFailure) {
  Outcome o = call(printers_, "bb_test_error");
  ASSERT_EQ(o.status(), 503);
  EXPECT_EQ(o.body()["code"], "auth_unavailable");
  EXPECT_TRUE(audit("auth_failed").empty());
}

TEST_F(AuthGateTest, MissingPermissionIs403NamingIt) {
  Outcome o = call(pause_, "bb_test_reader");
  ASSERT_EQ(o.status(), 403);
  EXPECT_EQ(
      o.refused->body,
      R"({"detail":"API key lacks permission 'printers:control'","code":"forbidden","required":"printers:control"})");
  // Headers show the budget, which the 403 did not spend.
  EXPECT_EQ(o.header("X-RateLimit-Limit"), "10");
  EXPECT_EQ(o.header("X-RateLimit-Remaining"), "10");
  EXPECT_EQ(o.header("RateLimit-Policy"), "\"control\";q=10;w=60");

  call(pause_, "bb_test_reader"); // same minute: no second row
  auto rows = audit("forbidden");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].principal_id, "key-reader");
  EXPECT_EQ(rows[0].principal_name, "reader key");
  EXPECT_EQ(nlohmann::json::parse(rows[0].detail_json)["required"], "printers:control");
}

TEST_F(AuthGateTest, AdminImpliesEverything) {
  EXPECT_FALSE(call(pause_, "bb_test_admin").refused);
  EXPECT_FALSE(call(queue_add_, "bb_test_admin").refused);
  EXPECT_FALSE(call(me_, "bb_test_reader").refused) << "authenticated needs no permission";
}

TEST_F(AuthGateTest, OverTheLimitIs429WithRetryAfter) {
  for (int i = 0; i < 10; ++i) {
    now_ += 100;
    ASSERT_FALSE(call(pause_, "bb_test_admin").refused) << i;
  }
  now_ += 100;
  Outcome o = call(pause_, "bb_test_admin");
  ASSERT_EQ(o.status(), 429);
  EXPECT_EQ(o.body()["code"], "rate_limited");
  EXPECT_EQ(o.body()["detail"], "rate limit of 10 requests per minute exceeded for control requests");
  EXPECT_EQ(o.header("Retry-After"), "59"); // the first (t0+0.1 s) leaves at t0+60.1 s; now t0+1.1 s
  EXPECT_EQ(o.header("X-RateLimit-Remaining"), "0");
  EXPECT_EQ(o.header("X-RateLimit-Reset"), std::to_string(kT0 / 1000 + 61));
  EXPECT_EQ(o.header("RateLimit"), "\"control\";r=0;t=59");
  // Other classes have their own budget.
  EXPECT_FALSE(call(printers_, "bb_test_admin").refused);

  for (int i = 0; i < 5; ++i) {
    call(pause_, "bb_test_admin"); // a flood of 429s: one audit row a minute
  }
  auto rows = audit("rate_limited");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].reason, "control_limit");
  EXPECT_EQ(rows[0].principal_id, "key-admin");

  now_ = kT0 + 60100; // the first request left the window
  EXPECT_FALSE(call(pause_, "bb_test_admin").refused);
}

TEST_F(AuthGateTest, PerKeyLimitOverridesTheDefault) {
  // bb_test_writer carries rate_limit_write = 2.
  EXPECT_FALSE(call(queue_add_, "bb_test_writer").refused);
  Outcome second = call(queue_add_, "bb_test_writer");
  EXPECT_EQ(second.header("X-RateLimit-Limit"), "2");
  EXPECT_EQ(call(queue_add_, "bb_test_writer").status(), 429);
}

TEST_F(AuthGateTest, ConfiguredDefaultsApply) {
  AuthSettings s;
  s.read_limit = 2;
  makeGate(s);
  EXPECT_FALSE(call(printers_, "bb_test_reader").refused);
  EXPECT_FALSE(call(printers_, "bb_test_reader").refused);
  EXPECT_EQ(call(printers_, "bb_test_reader").status(), 429);
}

// Regression (issue 13, attack 2): failures used to lock the address out, valid keys included.
TEST_F(AuthGateTest, WrongKeysAreThrottledPerIpButAValidKeyStillPasses) {
  AuthSettings s;
  s.failed_auth_per_minute = 3;
  makeGate(s);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(call(printers_, "bb_guess" + std::to_string(i), "198.51.100.9").status(), 401);
  }
  // Over budget: another wrong key is refused with 429...
  Outcome throttled = call(printers_, "bb_guess9", "198.51.100.9");
  ASSERT_EQ(throttled.status(), 429);
  EXPECT_EQ(throttled.body()["code"], "rate_limited");
  EXPECT_EQ(throttled.header("Retry-After"), "60");
  EXPECT_FALSE(throttled.request.principal);
  // ...a refused key too (expired is a presented key the plugin refused)...
  EXPECT_EQ(call(printers_, "bb_test_expired", "198.51.100.9").status(), 429);
  // ...but a valid key from the same address is accepted: it is always checked.
  Outcome valid = call(printers_, "bb_test_reader", "198.51.100.9");
  EXPECT_FALSE(valid.refused) << valid.refused->body;
  ASSERT_TRUE(valid.request.principal);
  // Keyless requests have their own budget: still a plain 401.
  EXPECT_EQ(call(printers_, "", "198.51.100.9").status(), 401);
  // Another address is unaffected.
  EXPECT_EQ(call(printers_, "bb_guess0", "198.51.100.10").status(), 401);

  auto limited = audit("rate_limited");
  ASSERT_EQ(limited.size(), 1u) << "one rate_limited row per address a minute";
  EXPECT_EQ(limited[0].reason, "failed_auth_limit");
  EXPECT_EQ(limited[0].client_ip, "198.51.100.9");
  AuditFilter f;
  f.kind = "auth_failed";
  f.client_ip = "198.51.100.9";
  auto rows = audit_->list(f).items;
  ASSERT_EQ(rows.size(), 1u);
  nlohmann::json detail = nlohmann::json::parse(rows[0].detail_json);
  EXPECT_EQ(detail["count"], 6);
  EXPECT_EQ(detail["throttled"], 2);
  EXPECT_EQ(detail["reasons"]["invalid_api_key"], 4);
  EXPECT_EQ(detail["reasons"]["api_key_expired"], 1);
  EXPECT_EQ(detail["reasons"]["missing_api_key"], 1);

  now_ += 60000;
  EXPECT_EQ(call(printers_, "bb_guess5", "198.51.100.9").status(), 401);
}

TEST_F(AuthGateTest, KeylessRequestsHaveTheirOwnLimitThatSparesKeys) {
  AuthSettings s;
  s.failed_auth_per_minute = 2;
  s.keyless_per_minute = 5;
  makeGate(s);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(call(printers_, "", "198.51.100.20").status(), 401);
  }
  Outcome over = call(printers_, "", "198.51.100.20");
  ASSERT_EQ(over.status(), 429);
  EXPECT_EQ(over.body()["code"], "rate_limited");
  EXPECT_NE(over.body()["detail"].get<std::string>().find("without an API key"), std::string::npos);
  EXPECT_EQ(over.header("Retry-After"), "60");
  // Keyless traffic spent no failure budget, and keys are unaffected.
  EXPECT_FALSE(call(printers_, "bb_test_reader", "198.51.100.20").refused);
  EXPECT_EQ(call(printers_, "bb_guess1", "198.51.100.20").status(), 401);
  EXPECT_EQ(call(printers_, "bb_guess2", "198.51.100.20").status(), 401);
  EXPECT_EQ(call(printers_, "bb_guess3", "198.51.100.20").status(), 429);
  // Public routes never count or get refused.
  EXPECT_FALSE(call(health_, "", "198.51.100.20").refused);
  auto limited = audit("rate_limited");
  ASSERT_EQ(limited.size(), 2u);
  std::set<std::string> reasons{limited[0].reason, limited[1].reason};
  EXPECT_EQ(reasons, (std::set<std::string>{"keyless_limit", "failed_auth_limit"}));
}

TEST_F(AuthGateTest, Ipv6CountsPerSlash64) {
  AuthSettings s;
  s.failed_auth_per_minute = 2;
  makeGate(s);
  EXPECT_EQ(call(printers_, "bb_x1", "2001:db8:1:2::1").status(), 401);
  EXPECT_EQ(call(printers_, "bb_x2", "2001:db8:1:2:ffff::9").status(), 401);
  // A third address of the same /64 is over the shared budget; another /64 is not.
  EXPECT_EQ(call(printers_, "bb_x3", "2001:db8:1:2:abcd::3").status(), 429);
  EXPECT_EQ(call(printers_, "bb_x4", "2001:db8:1:3::1").status(), 401);
  // The audit aggregates the /64 too, naming it.
  AuditFilter f;
  f.kind = "auth_failed";
  ASSERT_TRUE(audit_->flush(5000));
  ASSERT_EQ(audit_->list(f).total, 2);
  f.client_ip = "2001:db8:1:2::1"; // the row keeps the first address of its /64
  auto rows = audit_->list(f).items;
  ASSERT_EQ(rows.size(), 1u);
  nlohmann::json first = nlohmann::json::parse(rows[0].detail_json);
  EXPECT_EQ(first["network"], "2001:db8:1:2::/64");
  EXPECT_EQ(first["count"], 3);
}

TEST_F(AuthGateTest, TrustedProxyDecidesTheClientIp) {
  AuthSettings s;
  s.failed_auth_per_minute = 1;
  s.trusted_proxies.push_back(*sdk::Cidr::parse("10.0.0.0/8"));
  makeGate(s);
  Outcome proxied = call(printers_, "bb_bad1", "10.0.0.2", {{"X-Forwarded-For", "203.0.113.7"}});
  EXPECT_EQ(proxied.status(), 401);
  EXPECT_EQ(proxied.request.client_ip, "203.0.113.7");
  // The failure was counted against the real client, not the proxy...
  EXPECT_EQ(call(printers_, "bb_bad2", "10.0.0.2", {{"X-Forwarded-For", "203.0.113.7"}}).status(), 429);
  EXPECT_EQ(call(printers_, "bb_bad2", "10.0.0.2", {{"X-Forwarded-For", "203.0.113.8"}}).status(), 401);
  // ...and an untrusted peer cannot pick an address to hide behind.
  Outcome spoofed = call(printers_, "bb_test_reader", "192.0.2.1", {{"X-Forwarded-For", "203.0.113.8"}});
  EXPECT_EQ(spoofed.request.client_ip, "192.0.2.1");
  auto rows = audit("auth_failed");
  ASSERT_EQ(rows.size(), 2u);
  std::set<std::string> ips{rows[0].client_ip, rows[1].client_ip};
  EXPECT_EQ(ips, (std::set<std::string>{"203.0.113.7", "203.0.113.8"}));
}

// Regression (issue 13): only the first X-Forwarded-For line was read, so a client behind a proxy
// that appends its own line chose its address.
TEST_F(AuthGateTest, EveryForwardingLineCounts) {
  AuthSettings s;
  s.trusted_proxies.push_back(*sdk::Cidr::parse("10.0.0.0/8"));
  makeGate(s);
  Outcome two_lines = call(printers_, "bb_test_reader", "10.0.0.2",
                           {{"X-Forwarded-For", "6.6.6.6"}, {"X-Forwarded-For", "203.0.113.7"}});
  EXPECT_EQ(two_lines.request.client_ip, "203.0.113.7");
  Outcome forwarded = call(printers_, "bb_test_reader", "10.0.0.2",
                           {{"Forwarded", "for=6.6.6.6"}, {"forwarded", "for=\"[2001:db8::7]:443\""}});
  EXPECT_EQ(forwarded.request.client_ip, "2001:db8::7");
  // Both headers naming different clients: the address is unknown, the request refused.
  Outcome conflict =
      call(health_, "", "10.0.0.2", {{"X-Forwarded-For", "203.0.113.7"}, {"Forwarded", "for=198.51.100.1"}});
  ASSERT_EQ(conflict.status(), 400);
  EXPECT_EQ(conflict.body()["code"], "conflicting_forwarding_headers");
  Outcome agree = call(printers_, "bb_test_reader", "10.0.0.2",
                       {{"X-Forwarded-For", "203.0.113.7"}, {"Forwarded", "for=203.0.113.7;proto=https"}});
  EXPECT_FALSE(agree.refused);
  EXPECT_EQ(agree.request.client_ip, "203.0.113.7");
}

TEST_F(AuthGateTest, NoAuthPluginMeans401) {
  plugins::PluginHost empty(
      plugins::HostServices{core_.logger(), core_.bus(), core_.kv(), core_.dir().path(), [] { return kT0; }});
  AuthGate gate(AuthSettings{}, empty, nullptr, core_.logger(), [] { return kT0; });
  http::Request request;
  request.path = "/api/v1/printers";
  request.client_ip = "127.0.0.1";
  request.headers.emplace_back("X-API-Key", "bb_test_admin");
  Headers headers;
  auto refused = gate(printers_, request, headers);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  EXPECT_NE(core_.log().find("no auth plugin is loaded"), std::string::npos);
}

TEST_F(AuthGateTest, UnknownRoutePermissionFailsClosed) {
  auto typo = route(http::Method::Get, "/api/v1/x", "printer:read", http::RateClass::Read);
  EXPECT_EQ(call(typo, "bb_test_admin").status(), 500);
}

TEST(KeyPrefix, OnlyKeyShapedTokensGiveAPrefix) {
  auto prefix = [](const std::string& name, const std::string& value) {
    http::Request r;
    r.headers.emplace_back(name, value);
    return presentedKeyPrefix(r);
  };
  EXPECT_EQ(prefix("X-API-Key", "bb_AbCdEfGhIjKl"), "bb_AbCdE");
  EXPECT_EQ(prefix("authorization", "bearer bb_AbCdEfGhIjKl"), "bb_AbCdE");
  EXPECT_EQ(prefix("X-API-Key", "password123"), "");
  EXPECT_EQ(prefix("X-API-Key", "bb_ab"), "");
  EXPECT_EQ(prefix("X-API-Key", "bb_a\"b<cdefg"), "");
  EXPECT_EQ(prefix("Authorization", "Basic Zm9vOmJhcg=="), "");
}

TEST(RouteTable, FlagsUndeclaredRoutes) {
  std::vector<http::RouteSpec> routes = {
      route(http::Method::Get, "/health", "", http::RateClass::None),
      route(http::Method::Get, "/api/v1/printers", "printers:read", http::RateClass::Read),
      route(http::Method::Get, "/api/v1/auth/me", "authenticated", http::RateClass::Read),
      route(http::Method::Get, "/api/v1/x", "printer:read", http::RateClass::Read),
      route(http::Method::Post, "/api/v1/y", "admin", http::RateClass::None),
      route(http::Method::Get, "/z", "", http::RateClass::Read),
  };
  auto problems = routeTableProblems(routes);
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_NE(problems[0].find("GET /api/v1/x: unknown permission 'printer:read'"), std::string::npos);
  EXPECT_EQ(problems[1], "POST /api/v1/y: protected route without a rate class");
  EXPECT_EQ(problems[2], "GET /z: public route with rate class 'read' (public routes are not limited)");
}

} // namespace auth_gate_test
} // namespace bambuddy::auth
