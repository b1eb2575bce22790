// Bad settings and config are refused at creation with a precise message that never echoes a secret.
#include "webhook_test_util.h"

namespace bambuddy::notifier_webhook::test {
namespace settings_test {

class WebhookSettingsTest : public WebhookTest {
protected:
  // The message of a refused creation; checks the code and reason on the way.
  std::string refusal(const json& settings, const char* reason = "invalid_settings") {
    sdk::Error e = createError(settings);
    EXPECT_EQ(e.code(), BB_ERR_INVALID_ARGUMENT) << e.what();
    EXPECT_EQ(e.reason(), reason) << e.what();
    return e.what();
  }
  std::string configRefusal(const json& config) {
    sdk::Error e = createError(settingsFor(), config);
    EXPECT_EQ(e.code(), BB_ERR_INVALID_ARGUMENT) << e.what();
    EXPECT_EQ(e.reason(), "invalid_config") << e.what();
    return e.what();
  }
};

TEST_F(WebhookSettingsTest, UrlMustBeAnAbsoluteHttpUrl) {
  const std::string p = "notifier.webhook settings: ";
  EXPECT_EQ(refusal(json::object()), p + "/url is required");
  EXPECT_EQ(refusal({{"url", 5}}), p + "/url must be a string, got number");
  EXPECT_EQ(refusal({{"url", ""}}), p + "/url is empty");
  EXPECT_EQ(refusal({{"url", "ftp://example.com/x"}}),
            p + "/url scheme 'ftp' is not allowed (use http or https)");
  EXPECT_EQ(refusal({{"url", "file:///etc/passwd"}}),
            p + "/url scheme 'file' is not allowed (use http or https)");
  EXPECT_EQ(refusal({{"url", "gopher://x"}}), p + "/url scheme 'gopher' is not allowed (use http or https)");
  EXPECT_EQ(refusal({{"url", "example.com/hook"}}),
            p + "/url is not an absolute URL (expected e.g. http://example.com/...)");
  EXPECT_EQ(refusal({{"url", "http://exa mple.com"}}),
            p + "/url contains a space or control character (percent-encode it)");
  EXPECT_EQ(refusal({{"url", rx_.url("/x")}, {"extra", 1}}),
            p + "unknown property /extra (allowed: url, secret, previous_secret, previous_secret_expires_ms, "
                "headers, timeout_ms)");
  EXPECT_NO_THROW(create({{"url", "https://hooks.example.com/in"}}));
  EXPECT_NO_THROW(create({{"url", "http://[::1]:9/x"}}));
}

TEST_F(WebhookSettingsTest, SecretsMustBeStandardWebhooksSecretsAndAreNeverEchoed) {
  const std::string p = "notifier.webhook settings: ";
  const std::string short_secret = makeSecret(1, 16);
  json s = settingsFor();
  s["secret"] = "not-a-whsec-secret-value";
  EXPECT_EQ(refusal(s), p + "/secret must start with 'whsec_' (a Standard Webhooks secret)");
  s["secret"] = "whsec_%%%%";
  EXPECT_EQ(
      refusal(s),
      p + "/secret must be 'whsec_' followed by standard base64 (A-Z, a-z, 0-9, '+', '/', '=' padding)");
  s["secret"] = short_secret;
  std::string message = refusal(s);
  EXPECT_EQ(message, p + "/secret must decode to 24 to 64 bytes, got 16");
  EXPECT_EQ(message.find(short_secret.substr(6)), std::string::npos);
  s["secret"] = makeSecret(1, 65);
  EXPECT_EQ(refusal(s), p + "/secret must decode to 24 to 64 bytes, got 65");
  s["secret"] = makeSecret(1, 24);
  EXPECT_NO_THROW(create(s));
  s["secret"] = makeSecret(1, 64);
  EXPECT_NO_THROW(create(s));
}

TEST_F(WebhookSettingsTest, RotationNeedsBothSecretsAndAnExpiry) {
  const std::string p = "notifier.webhook settings: ";
  json s = settingsFor();
  s["previous_secret"] = makeSecret(2);
  s["previous_secret_expires_ms"] = kNowMs + 1000;
  EXPECT_EQ(refusal(s),
            p + "/previous_secret needs /secret: the previous secret only signs alongside the current one");
  s["secret"] = makeSecret(1);
  s.erase("previous_secret_expires_ms");
  EXPECT_EQ(refusal(s),
            p + "/previous_secret needs /previous_secret_expires_ms (when receivers stop accepting it)");
  s["previous_secret_expires_ms"] = -1;
  EXPECT_EQ(refusal(s),
            p + "/previous_secret_expires_ms must be a Unix time in ms (an integer >= 0), got -1");
  s["previous_secret_expires_ms"] = "soon";
  EXPECT_EQ(refusal(s),
            p + "/previous_secret_expires_ms must be a Unix time in ms (an integer >= 0), got string");
  s.erase("previous_secret");
  s["previous_secret_expires_ms"] = kNowMs;
  EXPECT_EQ(refusal(s), p + "/previous_secret_expires_ms is set but /previous_secret is not");
  s["previous_secret"] = "whsec_short";
  EXPECT_EQ(refusal(s),
            p + "/previous_secret must be 'whsec_' followed by standard base64 (A-Z, a-z, 0-9, '+', "
                "'/', '=' padding)");
}

TEST_F(WebhookSettingsTest, CustomHeadersCannotOverrideReservedOnes) {
  const std::string p = "notifier.webhook settings: ";
  const std::string reserved_tail = " cannot be set: webhook-*, Content-Type, Content-Length, Host, "
                                    "Transfer-Encoding, Connection and Expect are "
                                    "set by the notifier";
  for (const char* name :
       {"webhook-id", "Webhook-Signature", "WEBHOOK-TIMESTAMP", "webhook-anything", "Content-Type",
        "content-length", "Host", "Transfer-Encoding", "Connection", "Expect"}) {
    json s = settingsFor();
    s["headers"] = {{name, "x"}};
    EXPECT_EQ(refusal(s), p + "/headers/" + name + reserved_tail);
  }
  json s = settingsFor();
  s["headers"] = {{"Bad Name", "x"}};
  EXPECT_EQ(refusal(s), p + "/headers name 'Bad Name' is not a valid HTTP header name (letters, digits and "
                            "!#$%&'*+-.^_`|~, 1 to 128 characters)");
  s["headers"] = {{"X-Token", "secret-value\r\nX-Injected: 1"}};
  std::string message = refusal(s);
  EXPECT_EQ(message,
            p + "/headers/X-Token contains a control character (line breaks are not allowed in a header)");
  EXPECT_EQ(message.find("secret-value"), std::string::npos);
  s["headers"] = {{"X-Token", 5}};
  EXPECT_EQ(refusal(s), p + "/headers/X-Token must be a string, got number");
  s["headers"] = json::array({"X-Token: 1"});
  EXPECT_EQ(refusal(s), p + "/headers must be an object of header names to string values, got array");
  s["headers"] = {{"X-Token", std::string(8193, 'a')}};
  EXPECT_EQ(refusal(s), p + "/headers/X-Token is 8193 bytes long; the limit is 8192");
  json many = json::object();
  for (int i = 0; i < 33; ++i) {
    many["X-H" + std::to_string(i)] = "v";
  }
  s["headers"] = many;
  EXPECT_EQ(refusal(s), p + "/headers has 33 entries; the limit is 32");
  s["headers"] = {{"Authorization", "Bearer abc"}, {"User-Agent", "Custom/2"}, {"X-Empty", ""}};
  EXPECT_NO_THROW(create(s));
}

TEST_F(WebhookSettingsTest, TimeoutRange) {
  const std::string p = "notifier.webhook settings: ";
  json s = settingsFor();
  for (const json& bad : {json(99), json(120001), json(1.5), json("10")}) {
    s["timeout_ms"] = bad;
    std::string got = bad.is_number() ? bad.dump() : std::string(bad.type_name());
    EXPECT_EQ(refusal(s), p + "/timeout_ms must be an integer from 100 to 120000, got " + got);
  }
  s["timeout_ms"] = 100;
  EXPECT_NO_THROW(create(s));
}

TEST_F(WebhookSettingsTest, NotJsonOrNotAnObject) {
  sdk::Error a = [&] {
    try {
      host_.createAsGiven(descriptor(), "{}", "{not json", "x");
    } catch (const sdk::Error& e) {
      return e;
    }
    return sdk::Error(BB_OK, "", "");
  }();
  EXPECT_EQ(a.code(), BB_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(a.what(), "notifier.webhook settings is not valid JSON");
  EXPECT_EQ(refusal(json::array()), "notifier.webhook settings must be a JSON object, got array");
}

TEST_F(WebhookSettingsTest, ConfigIsTheSsrfGuard) {
  EXPECT_EQ(
      configRefusal({{"deny_cidrs", {"127.0.0.1", "10.0.0.0/33"}}}),
      "notifier.webhook config: /deny_cidrs/1: '10.0.0.0/33' is not a valid CIDR (prefix length 33 exceeds "
      "32 for IPv4)");
  EXPECT_EQ(configRefusal({{"allow_cidrs", "10.0.0.0/8"}}),
            "notifier.webhook config: /allow_cidrs must be an array of addresses or CIDR ranges, got string");
  EXPECT_EQ(configRefusal({{"allow", json::array()}}),
            "notifier.webhook config: unknown property /allow (allowed: allow_cidrs, deny_cidrs)");
  EXPECT_NO_THROW(create(settingsFor(), {{"allow_cidrs", json::array()}, {"deny_cidrs", {"10.0.0.0/8"}}}));
}

TEST_F(WebhookSettingsTest, CreationLogNamesHostButNotPathOrSecret) {
  json s = {{"url", rx_.url("/in/T0KEN-in-path?key=QUERYKEY")}, {"secret", makeSecret(3)}};
  auto hook = create(s);
  ASSERT_TRUE(host_.logged("webhook to http://127.0.0.1:" + std::to_string(rx_.port()) + ", signed"));
  for (const auto& line : host_.logs()) {
    EXPECT_EQ(line.message.find("T0KEN"), std::string::npos) << line.message;
    EXPECT_EQ(line.message.find("QUERYKEY"), std::string::npos) << line.message;
    EXPECT_EQ(line.message.find(makeSecret(3).substr(6)), std::string::npos) << line.message;
  }
}

} // namespace settings_test
} // namespace bambuddy::notifier_webhook::test
