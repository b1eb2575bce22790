#include "pushover_test_util.h"

namespace bambuddy::notifier_pushover::test {
namespace descriptor_test {

// Sizes, ABI version, ops and schema compilation: PluginConformance (tests/plugin_conformance).
TEST_F(PushoverTest, IdentityAndSecretMarks) {
  const bb_plugin_descriptor* d = descriptor();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, BB_KIND_NOTIFIER);
  EXPECT_STREQ(d->name, "notifier.pushover");
  json instance = json::parse(d->instance_schema);
  EXPECT_EQ(instance,
            json::parse(bambuddy::testing::readFile(NOTIFIER_PUSHOVER_SCHEMA_DIR "/instance.schema.json")));
  for (const char* secret : {"user_key", "app_token"}) {
    EXPECT_EQ(instance["properties"][secret]["writeOnly"], true) << secret;
    EXPECT_EQ(instance["properties"][secret]["x-bambuddy-secret"], true) << secret;
  }
  EXPECT_EQ(instance["properties"]["api_url"]["x-bambuddy-destination"], true);
  EXPECT_EQ(instance["properties"]["api_url"]["default"], "https://api.pushover.net/1/messages.json");
}

} // namespace descriptor_test
} // namespace bambuddy::notifier_pushover::test
