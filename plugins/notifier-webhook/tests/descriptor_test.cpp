// The descriptor and the embedded schemas, through the real entry point.
#include "webhook_test_util.h"

namespace bambuddy::notifier_webhook::test {
namespace descriptor_test {

// Sizes, ABI version, ops and schema compilation: PluginConformance.bb_notifier_webhook.
TEST(WebhookDescriptor, Identity) {
  const bb_plugin_descriptor* d = descriptor();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, BB_KIND_NOTIFIER);
  EXPECT_STREQ(d->name, "notifier.webhook");
  EXPECT_STREQ(d->version, "1.0.0");
}

TEST(WebhookDescriptor, EmbedsTheSchemaFilesAndMarksSecrets) {
  const bb_plugin_descriptor* d = descriptor();
  json config = json::parse(d->config_schema);
  json instance = json::parse(d->instance_schema);
  EXPECT_EQ(config, json::parse(testing::readFile(NOTIFIER_WEBHOOK_SCHEMA_DIR "/config.schema.json")));
  EXPECT_EQ(instance, json::parse(testing::readFile(NOTIFIER_WEBHOOK_SCHEMA_DIR "/instance.schema.json")));
  for (const char* secret : {"secret", "previous_secret", "headers"}) {
    const json& p = instance["properties"][secret];
    EXPECT_EQ(p.value("writeOnly", false), true) << secret;
    EXPECT_EQ(p.value("x-bambuddy-secret", false), true) << secret;
  }
  for (const char* plain : {"url", "timeout_ms", "previous_secret_expires_ms"}) {
    EXPECT_FALSE(instance["properties"][plain].contains("writeOnly")) << plain;
  }
  EXPECT_EQ(instance["properties"]["secret"]["x-bambuddy-generate"], "whsec"); // the core makes one
  EXPECT_EQ(instance["properties"]["timeout_ms"]["default"], 10000);
  EXPECT_EQ(instance["required"], json::array({"url"}));
  EXPECT_EQ(instance["additionalProperties"], false);
  EXPECT_EQ(config["additionalProperties"], false);
}

} // namespace descriptor_test
} // namespace bambuddy::notifier_webhook::test
