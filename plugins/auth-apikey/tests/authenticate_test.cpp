// authenticate(): where the key comes from, every refusal reason, and the principal it yields.
#include "apikey_test_util.h"

#include <chrono>

namespace bambuddy::auth_apikey::test {
namespace authenticate_test {

class Authenticate : public ApiKeyTest {
protected:
  void SetUp() override {
    ApiKeyTest::SetUp();
    start();
  }
};

TEST_F(Authenticate, NoCredentialsWhenNothingIsPresented) {
  EXPECT_EQ(authenticate(std::nullopt).rc, BB_AUTH_NO_CREDENTIALS);
  EXPECT_EQ(authenticate(std::string("")).rc, BB_AUTH_NO_CREDENTIALS);
  EXPECT_EQ(authenticate(std::nullopt, std::string("Basic dXNlcjpwYXNz")).rc, BB_AUTH_NO_CREDENTIALS);
  // A Bearer token that is not an API key belongs to another authenticator.
  EXPECT_EQ(authenticate(std::nullopt, std::string("Bearer eyJhbGciOiJIUzI1NiJ9.e30.x")).rc,
            BB_AUTH_NO_CREDENTIALS);
}

TEST_F(Authenticate, AcceptsXApiKeyAndFillsThePrincipal) {
  json k = createKey({{"name", "Home Assistant"},
                      {"permissions", {"printers:read", "queue:read"}},
                      {"rate_limits", {{"read", 500}, {"control", 5}}}});
  AuthOutcome a = authenticate(k["key"].get<std::string>());
  ASSERT_EQ(a.rc, BB_AUTH_OK) << a.reason << ": " << a.message;
  EXPECT_EQ(std::string(a.principal.id), "key:" + std::to_string(k["id"].get<int64_t>()));
  EXPECT_STREQ(a.principal.display_name, "Home Assistant");
  EXPECT_EQ(a.principal.permissions, uint64_t{BB_PERM_PRINTERS_READ | BB_PERM_QUEUE_READ});
  EXPECT_EQ(a.principal.rate_limit_read, 500u);
  EXPECT_EQ(a.principal.rate_limit_write, 0u);
  EXPECT_EQ(a.principal.rate_limit_control, 5u);
  EXPECT_EQ(a.principal.printer_count, 0u);
}

TEST_F(Authenticate, AcceptsBearerWithAnyCaseOfTheScheme) {
  std::string key = createKey({{"name", "n"}})["key"];
  EXPECT_EQ(authenticate(std::nullopt, "Bearer " + key).rc, BB_AUTH_OK);
  EXPECT_EQ(authenticate(std::nullopt, "bearer " + key).rc, BB_AUTH_OK);
  EXPECT_EQ(authenticate(std::nullopt, "BEARER   " + key + " ").rc, BB_AUTH_OK);
  AuthOutcome bad = authenticate(std::nullopt, "Bearer bb_" + std::string(43, 'x'));
  EXPECT_EQ(bad.rc, BB_AUTH_INVALID);
  EXPECT_EQ(bad.reason, "invalid_api_key");
}

TEST_F(Authenticate, XApiKeyTakesPrecedenceOverAuthorization) {
  std::string good = createKey({{"name", "good"}})["key"];
  std::string wrong = "bb_" + std::string(43, 'Q');
  EXPECT_EQ(authenticate(good, "Bearer " + wrong).rc, BB_AUTH_OK);
  AuthOutcome a = authenticate(wrong, "Bearer " + good);
  EXPECT_EQ(a.rc, BB_AUTH_INVALID);
  EXPECT_EQ(a.reason, "invalid_api_key");
}

TEST_F(Authenticate, UnknownAndMalformedKeysAreInvalid) {
  for (std::string presented : {std::string("nope"), "bb_" + std::string(43, 'A'), std::string("bb_short")}) {
    AuthOutcome a = authenticate(presented);
    EXPECT_EQ(a.rc, BB_AUTH_INVALID) << presented;
    EXPECT_EQ(a.reason, "invalid_api_key");
    EXPECT_EQ(a.message.find(presented), std::string::npos) << "the message echoes the key";
  }
}

TEST_F(Authenticate, DisabledKeyIsRefusedAndCanBeEnabledAgain) {
  json k = createKey({{"name", "n"}, {"enabled", false}});
  std::string key = k["key"];
  AuthOutcome a = authenticate(key);
  EXPECT_EQ(a.rc, BB_AUTH_INVALID);
  EXPECT_EQ(a.reason, "api_key_disabled");
  EXPECT_EQ(a.message.find(key), std::string::npos);
  std::string path = "/api/v1/api-keys/" + std::to_string(k["id"].get<int64_t>());
  EXPECT_EQ(call("PATCH", path, R"({"enabled":true})").status, 200);
  EXPECT_EQ(authenticate(key).rc, BB_AUTH_OK);
}

TEST_F(Authenticate, ExpiredKeyIsRefusedFromTheExpiryInstant) {
  // FakeHost starts at 2024-01-15T14:30:00Z.
  std::string key = createKey({{"name", "n"}, {"expires_at", "2024-01-15T15:00:00Z"}})["key"];
  host_.setNowMs(1705330799999); // 14:59:59.999
  EXPECT_EQ(authenticate(key).rc, BB_AUTH_OK);
  host_.setNowMs(1705330800000); // 15:00:00
  AuthOutcome a = authenticate(key);
  EXPECT_EQ(a.rc, BB_AUTH_INVALID);
  EXPECT_EQ(a.reason, "api_key_expired");
}

TEST_F(Authenticate, AllowedIpsForIpv4AndIpv6) {
  std::string key =
      createKey({{"name", "n"}, {"allowed_ips", {"192.168.1.0/24", "2001:db8::/32", "10.0.0.7"}}})["key"];
  EXPECT_EQ(authenticate(key, {}, "192.168.1.44").rc, BB_AUTH_OK);
  EXPECT_EQ(authenticate(key, {}, "10.0.0.7").rc, BB_AUTH_OK);
  EXPECT_EQ(authenticate(key, {}, "2001:db8:1::5").rc, BB_AUTH_OK);
  EXPECT_EQ(authenticate(key, {}, "::ffff:192.168.1.9").rc, BB_AUTH_OK);
  for (std::string ip : {"192.168.2.1", "10.0.0.8", "2001:db9::1", "::1", "", "garbage"}) {
    AuthOutcome a = authenticate(key, {}, ip);
    EXPECT_EQ(a.rc, BB_AUTH_INVALID) << ip;
    EXPECT_EQ(a.reason, "ip_not_allowed") << ip;
  }
}

TEST_F(Authenticate, DisabledIsReportedBeforeExpiredAndIp) {
  std::string key = createKey({{"name", "n"},
                               {"enabled", false},
                               {"expires_at", "2024-01-15T15:00:00Z"},
                               {"allowed_ips", {"10.0.0.0/8"}}})["key"];
  host_.setNowMs(1705340000000);
  EXPECT_EQ(authenticate(key, {}, "192.0.2.1").reason, "api_key_disabled");
}

TEST_F(Authenticate, DeleteInvalidatesTheVeryNextRequest) {
  json k = createKey({{"name", "n"}});
  std::string key = k["key"];
  ASSERT_EQ(authenticate(key).rc, BB_AUTH_OK);
  Response d = call("DELETE", "/api/v1/api-keys/" + std::to_string(k["id"].get<int64_t>()));
  EXPECT_EQ(d.status, 204);
  EXPECT_EQ(d.text, "");
  AuthOutcome a = authenticate(key);
  EXPECT_EQ(a.rc, BB_AUTH_INVALID);
  EXPECT_EQ(a.reason, "invalid_api_key");
}

TEST_F(Authenticate, RotationKeepsTheOldKeyDuringTheGracePeriodOnly) {
  json k = createKey({{"name", "n"}, {"permissions", {"archives:read"}}});
  std::string old_key = k["key"];
  std::string path = "/api/v1/api-keys/" + std::to_string(k["id"].get<int64_t>()) + "/rotate";
  Response r = call("POST", path, R"({"grace_period_s":60})");
  ASSERT_EQ(r.status, 201) << r.text;
  std::string new_key = r.body["key"];
  EXPECT_NE(new_key, old_key);
  EXPECT_EQ(r.body["id"], k["id"]);
  EXPECT_EQ(r.body["permissions"], json({"archives:read"}));
  EXPECT_EQ(r.body["prefix"], new_key.substr(0, 8));
  EXPECT_EQ(r.body["previous_key_valid_until"], "2024-01-15T14:31:00Z");

  AuthOutcome old_auth = authenticate(old_key);
  EXPECT_EQ(old_auth.rc, BB_AUTH_OK);
  EXPECT_EQ(std::string(old_auth.principal.id), "key:" + std::to_string(k["id"].get<int64_t>()));
  EXPECT_EQ(authenticate(new_key).rc, BB_AUTH_OK);

  host_.setNowMs(1705329000000 + 60000); // grace over
  EXPECT_EQ(authenticate(old_key).reason, "invalid_api_key");
  EXPECT_EQ(authenticate(new_key).rc, BB_AUTH_OK);
}

TEST_F(Authenticate, RotationWithZeroGraceRevokesAtOnce) {
  json k = createKey({{"name", "n"}});
  std::string old_key = k["key"];
  Response r = call("POST", "/api/v1/api-keys/" + std::to_string(k["id"].get<int64_t>()) + "/rotate",
                    R"({"grace_period_s":0})");
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(authenticate(old_key).reason, "invalid_api_key");
  EXPECT_EQ(authenticate(r.body["key"].get<std::string>()).rc, BB_AUTH_OK);
  EXPECT_TRUE(r.body["previous_key_valid_until"].is_null());
}

TEST_F(Authenticate, SecondRotationEndsTheFirstGrace) {
  json k = createKey({{"name", "n"}});
  std::string first = k["key"];
  std::string path = "/api/v1/api-keys/" + std::to_string(k["id"].get<int64_t>()) + "/rotate";
  std::string second = call("POST", path, "").body["key"].get<std::string>();
  std::string third = call("POST", path, "").body["key"].get<std::string>();
  EXPECT_EQ(authenticate(first).reason, "invalid_api_key");
  EXPECT_EQ(authenticate(second).rc, BB_AUTH_OK);
  EXPECT_EQ(authenticate(third).rc, BB_AUTH_OK);
}

TEST_F(Authenticate, RotatedOldKeyIsStillSubjectToDisableAndIps) {
  json k = createKey({{"name", "n"}, {"allowed_ips", {"10.0.0.0/8"}}});
  std::string old_key = k["key"];
  std::string base = "/api/v1/api-keys/" + std::to_string(k["id"].get<int64_t>());
  ASSERT_EQ(call("POST", base + "/rotate", "").status, 201);
  EXPECT_EQ(authenticate(old_key, {}, "10.1.1.1").rc, BB_AUTH_OK);
  EXPECT_EQ(authenticate(old_key, {}, "192.0.2.1").reason, "ip_not_allowed");
  ASSERT_EQ(call("PATCH", base, R"({"enabled":false})").status, 200);
  EXPECT_EQ(authenticate(old_key, {}, "10.1.1.1").reason, "api_key_disabled");
}

TEST_F(Authenticate, IsFast) {
  std::string key = createKey({{"name", "bench"}})["key"];
  constexpr int kCalls = 20000;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_EQ(authenticate(key).rc, BB_AUTH_OK);
  }
  double us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / kCalls;
  std::printf("authenticate: %.3f us per call (including the test's request setup)\n", us);
  // Generous bound so sanitizer and loaded CI runs pass; a regression to a slow hash would not.
  EXPECT_LT(us, 50.0);
}

} // namespace authenticate_test
} // namespace bambuddy::auth_apikey::test
