#include "email_test_util.h"

namespace bambuddy::notifier_email::test {
namespace descriptor_test {

// Sizes, ABI version, ops and schema compilation: PluginConformance (tests/plugin_conformance).
TEST(EmailDescriptor, IdentityAndSchemas) {
  const bb_plugin_descriptor* d = descriptor();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, BB_KIND_NOTIFIER);
  EXPECT_STREQ(d->name, "notifier.email");
  EXPECT_STREQ(d->version, "1.0.0");
  json config = json::parse(d->config_schema);
  json instance = json::parse(d->instance_schema);
  EXPECT_EQ(config, json::parse(testing::readFile(NOTIFIER_EMAIL_SCHEMA_DIR "/config.schema.json")));
  EXPECT_EQ(instance, json::parse(testing::readFile(NOTIFIER_EMAIL_SCHEMA_DIR "/instance.schema.json")));
  EXPECT_EQ(instance["properties"]["password"]["writeOnly"], true);
  EXPECT_EQ(instance["properties"]["password"]["x-bambuddy-secret"], true);
  EXPECT_FALSE(instance["properties"]["username"].contains("writeOnly"));
  EXPECT_EQ(instance["properties"]["starttls"]["default"], "required");
  EXPECT_EQ(instance["properties"]["tls_verify"]["default"], true);
  EXPECT_EQ(instance["required"], json::array({"smtp_url", "from", "to"}));
}

} // namespace descriptor_test
} // namespace bambuddy::notifier_email::test
