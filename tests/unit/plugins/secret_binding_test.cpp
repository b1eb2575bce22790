// Destination changes must resend stored credentials (plugins/secret_binding.h), with schemas
// written here and with the real notifier schemas' annotations.
#include "plugins/secret_binding.h"
#include "plugins/secret_fields.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace bambuddy::plugins {
namespace secret_binding_test {

using nlohmann::json;

const std::string kSchema = R"({
  "type": "object",
  "properties": {
    "url": {"type": "string", "x-bambuddy-destination": true},
    "server": {"type": "string", "default": "https://ntfy.sh", "x-bambuddy-destination": true},
    "token": {"type": "string", "writeOnly": true},
    "headers": {"type": "object", "x-bambuddy-secret": true},
    "secret": {"type": "string", "writeOnly": true, "x-bambuddy-credential": false},
    "timeout_ms": {"type": "integer"}
  }
})";

DestinationChange check(const json& current, const json& patch, json* out = nullptr,
                        const std::string& schema = kSchema) {
  json merged = mergeSettings(current, patch, schema);
  DestinationChange change = checkDestinationChange(current, patch, merged, schema);
  if (out != nullptr) {
    *out = merged;
  }
  return change;
}

const json kStored = {{"url", "http://a/hook"},
                      {"token", "tok"},
                      {"headers", {{"Authorization", "Bearer ha"}}},
                      {"secret", "whsec_x"}};

TEST(SecretBindingTest, ANewDestinationWithoutTheStoredCredentialsIsRefusedNamingThem) {
  DestinationChange c = check(kStored, {{"url", "http://b/steal"}});
  EXPECT_TRUE(c.refused());
  EXPECT_EQ(c.destination_fields, std::vector<std::string>({"url"}));
  EXPECT_EQ(c.missing_secrets, std::vector<std::string>({"headers", "token"}))
      << "sorted; the signing secret stays";
  const std::string message = secretRequiredMessage(c, "provider");
  EXPECT_NE(message.find("settings.url"), std::string::npos) << message;
  EXPECT_NE(message.find("settings.headers and settings.token"), std::string::npos) << message;
  EXPECT_EQ(message.find("Bearer"), std::string::npos);
}

TEST(SecretBindingTest, TheMaskSentBackIsNotAResend) {
  DestinationChange c =
      check(kStored, {{"url", "http://b/"}, {"token", kSecretMask}, {"headers", {{"X", "1"}}}});
  EXPECT_EQ(c.missing_secrets, std::vector<std::string>({"token"}));
}

TEST(SecretBindingTest, ResentCredentialsReplaceTheStoredOnesWhole) {
  json merged;
  DestinationChange c =
      check(kStored, {{"url", "http://b/"}, {"token", nullptr}, {"headers", {{"X-New", "1"}}}}, &merged);
  EXPECT_FALSE(c.refused());
  EXPECT_EQ(merged["headers"], json({{"X-New", "1"}})) << "the stored Authorization is not merged in";
  EXPECT_FALSE(merged.contains("token"));
  EXPECT_EQ(merged["secret"], "whsec_x");
}

TEST(SecretBindingTest, OtherChangesNeedNoSecretsAndMergeAsBefore) {
  json merged;
  DestinationChange c = check(kStored, {{"timeout_ms", 500}, {"headers", {{"X-New", "1"}}}}, &merged);
  EXPECT_FALSE(c.refused());
  EXPECT_TRUE(c.destination_fields.empty());
  EXPECT_EQ(merged["headers"].size(), 2u);
  EXPECT_FALSE(check(kStored, {{"url", "http://a/hook"}}).refused()) << "the same value is no change";
}

TEST(SecretBindingTest, AnAbsentDestinationCountsAsItsDefault) {
  const json stored = {{"token", "tok"}};
  EXPECT_FALSE(check(stored, {{"server", "https://ntfy.sh"}}).refused());
  EXPECT_TRUE(check(stored, {{"server", "https://evil.example"}}).refused());
  EXPECT_TRUE(check({{"server", "https://mine.example"}, {"token", "t"}}, {{"server", nullptr}}).refused())
      << "dropping the server falls back to the public default: a new destination";
}

TEST(SecretBindingTest, NoStoredCredentialsNothingToResend) {
  EXPECT_FALSE(check({{"url", "http://a/"}}, {{"url", "http://b/"}}).refused());
}

TEST(SecretBindingTest, UnparseableSchemasUseWellKnownNames) {
  DestinationChange c = check({{"host", "a"}, {"access_code", "123"}}, {{"host", "b"}}, nullptr, "not json");
  EXPECT_EQ(c.missing_secrets, std::vector<std::string>({"access_code"}));
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(SecretBindingTest, TheShippedSchemasMarkTheirDestinations) {
  const std::string root = BAMBUDDY_SOURCE_DIR;
  struct Case {
    std::string schema;
    json stored;
    json patch;
    std::vector<std::string> missing;
  };
  const std::vector<Case> cases = {
      {"/plugins/notifier-webhook/schema/instance.schema.json",
       {{"url", "http://a/"}, {"secret", "whsec_a"}, {"headers", {{"A", "b"}}}},
       {{"url", "http://b/"}},
       {"headers"}},
      {"/plugins/notifier-ntfy/schema/instance.schema.json",
       {{"topic", "t"}, {"token", "tk_x"}},
       {{"topic", "u"}},
       {"token"}},
      {"/plugins/notifier-email/schema/instance.schema.json",
       {{"smtp_url", "smtp://a"}, {"username", "u"}, {"password", "p"}},
       {{"tls_verify", false}},
       {"password"}},
      {"/plugins/printer-bambu/schema/instance.schema.json",
       {{"host", "a"}, {"serial", "s"}, {"access_code", "1"}},
       {{"port", 1883}},
       {"access_code"}},
  };
  for (const Case& c : cases) {
    const std::string schema = readFile(root + c.schema);
    ASSERT_FALSE(schema.empty()) << c.schema;
    json merged = mergeSettings(c.stored, c.patch, schema);
    EXPECT_EQ(checkDestinationChange(c.stored, c.patch, merged, schema).missing_secrets, c.missing)
        << c.schema;
  }
}

} // namespace secret_binding_test
} // namespace bambuddy::plugins
