#include "slack_test_util.h"

namespace bambuddy::notifier_slack::test {
namespace descriptor_test {

// Sizes, ABI version, ops and schema compilation: PluginConformance (tests/plugin_conformance).
TEST_F(SlackTest, IdentityAndSecretMarks) {
  const bb_plugin_descriptor* d = descriptor();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, BB_KIND_NOTIFIER);
  EXPECT_STREQ(d->name, "notifier.slack");
  json instance = json::parse(d->instance_schema);
  EXPECT_EQ(instance,
            json::parse(bambuddy::testing::readFile(NOTIFIER_SLACK_SCHEMA_DIR "/instance.schema.json")));
  EXPECT_EQ(instance["properties"]["webhook_url"]["writeOnly"], true);
  EXPECT_EQ(instance["properties"]["webhook_url"]["x-bambuddy-secret"], true);
  EXPECT_EQ(instance["properties"]["webhook_url"]["x-bambuddy-destination"], true);
  EXPECT_EQ(json::parse(d->config_schema)["properties"]["webhook_origins"]["default"],
            json::array({"https://hooks.slack.com"}));
}

} // namespace descriptor_test
} // namespace bambuddy::notifier_slack::test
