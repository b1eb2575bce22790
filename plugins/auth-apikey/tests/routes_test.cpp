// The /api-keys routes and /auth/me: shapes, validation (which changes nothing), audit events.
#include "apikey_test_util.h"

#include <set>

namespace bambuddy::auth_apikey::test {
namespace routes_test {

class Routes : public ApiKeyTest {
protected:
  void SetUp() override {
    ApiKeyTest::SetUp();
    start();
  }
  // Asserts a 400 with `code`, and that kv, events and the key count are unchanged.
  void expectRefused(const std::string& method, const std::string& path, const std::string& body,
                     const std::string& code, const std::string& detail_part = "") {
    auto kv_before = host_.kv();
    size_t events_before = host_.published().size();
    Response r = call(method, path, body);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.text;
    EXPECT_EQ(r.body.value("code", ""), code) << body << " -> " << r.text;
    if (!detail_part.empty()) {
      EXPECT_NE(r.body.value("detail", "").find(detail_part), std::string::npos) << r.text;
    }
    EXPECT_EQ(host_.kv(), kv_before) << "a refused request changed kv: " << body;
    EXPECT_EQ(host_.published().size(), events_before);
  }
  std::vector<json> auditEvents() {
    std::vector<json> out;
    for (const auto& e : host_.published()) {
      if (e.topic == "audit_event") {
        out.push_back(json::parse(e.payload_json));
      }
    }
    return out;
  }
};

TEST_F(Routes, RegistersTheDocumentedRoutes) {
  auto routes = host_.routes();
  std::set<std::string> got(routes.begin(), routes.end());
  EXPECT_EQ(got, (std::set<std::string>{"GET /api/v1/api-keys", "POST /api/v1/api-keys",
                                        "GET /api/v1/api-keys/{id}", "PATCH /api/v1/api-keys/{id}",
                                        "DELETE /api/v1/api-keys/{id}", "POST /api/v1/api-keys/{id}/rotate",
                                        "GET /api/v1/auth/me"}));
}

TEST_F(Routes, CreateReturnsTheKeyOnceAndTheListNever) {
  json k = createKey({{"name", "  Home Assistant  "},
                      {"permissions", {"printers:read", "printers:control"}},
                      {"expires_at", "2030-01-01T00:00:00Z"},
                      {"allowed_ips", {"192.168.1.7/24"}},
                      {"rate_limits", {{"read", 200}}}});
  std::string key = k["key"];
  EXPECT_EQ(k["name"], "Home Assistant");
  EXPECT_EQ(k["prefix"], key.substr(0, 8));
  EXPECT_EQ(k["last4"], key.substr(42));
  EXPECT_EQ(k["permissions"], json({"printers:read", "printers:control"}));
  EXPECT_EQ(k["enabled"], true);
  EXPECT_EQ(k["created_at"], "2024-01-15T14:30:00Z");
  EXPECT_EQ(k["expires_at"], "2030-01-01T00:00:00Z");
  EXPECT_EQ(k["allowed_ips"], json({"192.168.1.0/24"}));
  EXPECT_EQ(k["rate_limits"], json({{"read", 200}, {"write", nullptr}, {"control", nullptr}}));
  EXPECT_TRUE(k["last_used_at"].is_null());
  EXPECT_EQ(k["request_count"], 0);

  std::string id = std::to_string(k["id"].get<int64_t>());
  Response got = call("GET", "/api/v1/api-keys/" + id);
  ASSERT_EQ(got.status, 200);
  EXPECT_FALSE(got.body.contains("key"));
  EXPECT_FALSE(got.body.contains("digest"));
  EXPECT_EQ(got.text.find(key), std::string::npos);
  EXPECT_EQ(got.body["name"], "Home Assistant");

  Response list = call("GET", "/api/v1/api-keys");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.text.find(key), std::string::npos);
  EXPECT_EQ(list.body["total"], 2); // the bootstrap admin key and this one
  EXPECT_EQ(list.body["limit"], 100);
  EXPECT_EQ(list.body["offset"], 0);
  ASSERT_EQ(list.body["items"].size(), 2u);
  EXPECT_EQ(list.body["items"][1]["id"], k["id"]);
  expectSecretNowhere(key);
}

TEST_F(Routes, ListPagination) {
  for (int i = 0; i < 5; ++i) {
    createKey({{"name", "k" + std::to_string(i)}});
  }
  Response r = call("GET", "/api/v1/api-keys", "", {{"limit", "2"}, {"offset", "3"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["total"], 6);
  EXPECT_EQ(r.body["limit"], 2);
  EXPECT_EQ(r.body["offset"], 3);
  ASSERT_EQ(r.body["items"].size(), 2u);
  EXPECT_EQ(r.body["items"][0]["name"], "k2");
  EXPECT_EQ(call("GET", "/api/v1/api-keys", "", {{"offset", "99"}}).body["items"].size(), 0u);
  EXPECT_EQ(call("GET", "/api/v1/api-keys", "", {{"limit", "0"}}).body["code"], "invalid_parameter");
  EXPECT_EQ(call("GET", "/api/v1/api-keys", "", {{"limit", "1001"}}).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/api-keys", "", {{"offset", "-1"}}).status, 400);
}

TEST_F(Routes, CreateValidationNamesTheProblemAndStoresNothing) {
  const std::string p = "/api/v1/api-keys";
  expectRefused("POST", p, "{", "invalid_json");
  expectRefused("POST", p, "", "invalid_body", "empty");
  expectRefused("POST", p, "[]", "invalid_body");
  expectRefused("POST", p, "{}", "invalid_name", "name: required");
  expectRefused("POST", p, R"({"name":"   "})", "invalid_name");
  expectRefused("POST", p, R"({"name":7})", "invalid_name");
  expectRefused("POST", p, R"({"name":"a\u0007b"})", "invalid_name", "control");
  expectRefused("POST", p, R"({"name":"a\u0085b"})", "invalid_name", "control");
  expectRefused("POST", p, json({{"name", std::string(101, 'x')}}).dump(), "invalid_name", "100");
  EXPECT_EQ(call("POST", p, json({{"name", std::string(100, 'x')}}).dump()).status, 201);
  // 100 characters of two bytes each are fine: the limit is in characters.
  std::string umlauts;
  for (int i = 0; i < 100; ++i) {
    umlauts += "\xc3\xa4";
  }
  EXPECT_EQ(call("POST", p, json({{"name", umlauts}}).dump()).status, 201);
  expectRefused("POST", p, R"({"name":"n","permissions":["printers:fly"]})", "invalid_permission",
                "permissions[0]: must be one of: printers:read, printers:control");
  expectRefused("POST", p, R"({"name":"n","permissions":"admin"})", "invalid_permission");
  expectRefused("POST", p, R"({"name":"n","permissions":[1]})", "invalid_permission");
  expectRefused("POST", p, R"({"name":"n","expires_at":"2020-01-01T00:00:00Z"})", "invalid_expires_at",
                "future");
  expectRefused("POST", p, R"({"name":"n","expires_at":"next week"})", "invalid_expires_at");
  expectRefused("POST", p, R"({"name":"n","expires_at":"2030-01-01T00:00:00+02:00"})", "invalid_expires_at");
  expectRefused("POST", p, R"({"name":"n","allowed_ips":["10.0.0.0/8","10.0.0.0/33"]})", "invalid_cidr",
                "allowed_ips[1] '10.0.0.0/33'");
  expectRefused("POST", p, R"({"name":"n","allowed_ips":["fe80::/129"]})", "invalid_cidr", "fe80::/129");
  expectRefused("POST", p, R"({"name":"n","allowed_ips":["example.com"]})", "invalid_cidr", "example.com");
  expectRefused("POST", p, R"({"name":"n","allowed_ips":"10.0.0.0/8"})", "invalid_cidr");
  expectRefused("POST", p, R"({"name":"n","rate_limits":{"read":0}})", "invalid_rate_limits", "read");
  expectRefused("POST", p, R"({"name":"n","rate_limits":{"write":1000001}})", "invalid_rate_limits");
  expectRefused("POST", p, R"({"name":"n","rate_limits":{"write":1.5}})", "invalid_rate_limits");
  expectRefused("POST", p, R"({"name":"n","rate_limits":{"burst":3}})", "unknown_field", "rate_limits.burst");
  expectRefused("POST", p, R"({"name":"n","enabled":"yes"})", "invalid_enabled");
  expectRefused("POST", p, R"({"name":"n","scopes":[]})", "unknown_field", "scopes: unknown key");
  expectRefused("POST", p, R"({"name":"n","key":"bb_mine"})", "unknown_field", "key: unknown key");
}

TEST_F(Routes, GetPatchDeleteUnknownIdsAre404) {
  for (std::string id : {"999", "abc", "0", "-1"}) {
    EXPECT_EQ(call("GET", "/api/v1/api-keys/" + id).status, 404) << id;
    EXPECT_EQ(call("PATCH", "/api/v1/api-keys/" + id, R"({"name":"x"})").status, 404) << id;
    EXPECT_EQ(call("DELETE", "/api/v1/api-keys/" + id).status, 404) << id;
    EXPECT_EQ(call("POST", "/api/v1/api-keys/" + id + "/rotate", "").status, 404) << id;
  }
  EXPECT_EQ(call("GET", "/api/v1/api-keys/999").body["code"], "not_found");
}

TEST_F(Routes, PatchChangesOnlyWhatIsGivenAndReportsChanges) {
  json k = createKey({{"name", "n"}, {"permissions", {"queue:read"}}, {"allowed_ips", {"10.0.0.0/8"}}});
  std::string path = "/api/v1/api-keys/" + std::to_string(k["id"].get<int64_t>());
  host_.setNowMs(1705329060000);
  Response r = call(
      "PATCH", path,
      R"({"name":"renamed","permissions":["queue:read","queue:write"],"expires_at":"2031-05-01T12:00:00Z",
                        "rate_limits":{"write":9}})");
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body["name"], "renamed");
  EXPECT_EQ(r.body["permissions"], json({"queue:read", "queue:write"}));
  EXPECT_EQ(r.body["expires_at"], "2031-05-01T12:00:00Z");
  EXPECT_EQ(r.body["allowed_ips"], json({"10.0.0.0/8"}));
  EXPECT_EQ(r.body["rate_limits"]["write"], 9);
  EXPECT_EQ(r.body["updated_at"], "2024-01-15T14:31:00Z");
  EXPECT_FALSE(r.body.contains("key"));

  auto events = auditEvents();
  ASSERT_FALSE(events.empty());
  const json& ev = events.back();
  EXPECT_EQ(ev["kind"], "key_changed");
  EXPECT_EQ(ev["principal_id"], "test:admin");
  EXPECT_EQ(ev["principal_name"], "test admin");
  EXPECT_EQ(ev["key_prefix"], k["prefix"]);
  EXPECT_EQ(ev["client_ip"], "127.0.0.1");
  EXPECT_EQ(ev["path"], path);
  EXPECT_EQ(ev["reason"], "");
  EXPECT_EQ(ev["detail"]["key_id"], k["id"]);
  EXPECT_EQ(ev["detail"]["changes"], json({"name", "permissions", "expires_at", "rate_limits"}));

  // Clearing: null expiry and empty allow-list.
  r = call("PATCH", path, R"({"expires_at":null,"allowed_ips":[]})");
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_TRUE(r.body["expires_at"].is_null());
  EXPECT_EQ(r.body["allowed_ips"], json::array());

  // Nothing changed: no write, no event.
  auto kv_before = host_.kv();
  size_t events_before = host_.published().size();
  EXPECT_EQ(call("PATCH", path, R"({"name":"renamed"})").status, 200);
  EXPECT_EQ(host_.kv(), kv_before);
  EXPECT_EQ(host_.published().size(), events_before);
}

TEST_F(Routes, PatchValidationChangesNothing) {
  json k = createKey({{"name", "n"}});
  std::string path = "/api/v1/api-keys/" + std::to_string(k["id"].get<int64_t>());
  expectRefused("PATCH", path, R"({"name":"ok","permissions":["nope"]})", "invalid_permission");
  expectRefused("PATCH", path, R"({"name":"ok","allowed_ips":["1.2.3.4/40"]})", "invalid_cidr");
  expectRefused("PATCH", path, R"({"name":""})", "invalid_name");
  expectRefused("PATCH", path, R"({"id":5})", "unknown_field");
  expectRefused("PATCH", path, R"({"prefix":"bb_x"})", "unknown_field");
  expectRefused("PATCH", path, "nope", "invalid_json");
  EXPECT_EQ(call("GET", path).body["name"], "n");
}

TEST_F(Routes, RotateValidatesItsBody) {
  json k = createKey({{"name", "n"}});
  std::string path = "/api/v1/api-keys/" + std::to_string(k["id"].get<int64_t>()) + "/rotate";
  expectRefused("POST", path, R"({"grace_period_s":-1})", "invalid_grace_period");
  expectRefused("POST", path, R"({"grace_period_s":"1h"})", "invalid_grace_period");
  expectRefused("POST", path, R"({"grace":5})", "unknown_field");
  expectRefused("POST", path, R"({)", "invalid_json");
  // Default grace: 86400 s.
  Response r = call("POST", path, "{}");
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(r.body["previous_key_valid_until"], "2024-01-16T14:30:00Z");
  auto ev = auditEvents().back();
  EXPECT_EQ(ev["kind"], "key_rotated");
  EXPECT_EQ(ev["detail"]["grace_period_s"], 86400);
  EXPECT_EQ(ev["key_prefix"], r.body["prefix"]);
  expectSecretNowhere(r.body["key"]);
  expectSecretNowhere(k["key"]);
}

TEST_F(Routes, AuditEventsForCreateAndDeleteNeverCarryTheKey) {
  json k = createKey({{"name", "audited"}, {"permissions", {"admin"}}});
  std::string path = "/api/v1/api-keys/" + std::to_string(k["id"].get<int64_t>());
  ASSERT_EQ(call("DELETE", path).status, 204);
  auto events = auditEvents();
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[events.size() - 2]["kind"], "key_created");
  EXPECT_EQ(events[events.size() - 2]["detail"]["changes"], json({"name", "permissions"}));
  EXPECT_EQ(events.back()["kind"], "key_deleted");
  EXPECT_EQ(events.back()["detail"]["key_name"], "audited");
  EXPECT_EQ(events.back()["key_prefix"], k["prefix"]);
  EXPECT_EQ(call("GET", path).status, 404);
  EXPECT_EQ(call("DELETE", path).status, 404);
  expectSecretNowhere(k["key"]);
}

TEST_F(Routes, AdminRoutesNeedAdminAndMeNeedsNothing) {
  json k = createKey({{"name", "reader"},
                      {"permissions", {"printers:read"}},
                      {"rate_limits", {{"read", 42}}},
                      {"expires_at", "2030-01-01T00:00:00Z"}});
  AuthOutcome a = authenticate(k["key"].get<std::string>());
  ASSERT_EQ(a.rc, BB_AUTH_OK);
  sdk::Principal p = sdk::detail::principalFrom(&a.principal);
  EXPECT_EQ(call("GET", "/api/v1/api-keys", "", {}, p).status, 403);
  EXPECT_EQ(call("POST", "/api/v1/api-keys", R"({"name":"x"})", {}, p).status, 403);
  Response me = call("GET", "/api/v1/auth/me", "", {}, p);
  ASSERT_EQ(me.status, 200) << me.text;
  EXPECT_EQ(me.body["id"], k["id"]);
  EXPECT_EQ(me.body["name"], "reader");
  EXPECT_EQ(me.body["permissions"], json({"printers:read"}));
  EXPECT_EQ(me.body["rate_limits"], json({{"read", 42}, {"write", 30}, {"control", 10}}));
  EXPECT_EQ(me.body["expires_at"], "2030-01-01T00:00:00Z");
  EXPECT_EQ(me.body["prefix"], k["prefix"]);
  EXPECT_EQ(me.text.find(k["key"].get<std::string>()), std::string::npos);
}

TEST_F(Routes, MeForAPrincipalOfAnotherAuthenticator) {
  Response me = call("GET", "/api/v1/auth/me");
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.body["id"], "test:admin");
  EXPECT_EQ(me.body["permissions"], json({"admin"}));
  EXPECT_TRUE(me.body["prefix"].is_null());
}

} // namespace routes_test
} // namespace bambuddy::auth_apikey::test
