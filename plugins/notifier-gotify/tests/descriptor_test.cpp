#include "gotify_test_util.h"

namespace bambuddy::notifier_gotify::test {
namespace descriptor_test {

// Sizes, ABI version, ops and schema compilation: PluginConformance (tests/plugin_conformance).
TEST_F(GotifyTest, IdentityAndSecretMarks) {
  const bb_plugin_descriptor* d = descriptor();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, BB_KIND_NOTIFIER);
  EXPECT_STREQ(d->name, "notifier.gotify");
  json instance = json::parse(d->instance_schema);
  EXPECT_EQ(instance,
            json::parse(bambuddy::testing::readFile(NOTIFIER_GOTIFY_SCHEMA_DIR "/instance.schema.json")));
  EXPECT_EQ(instance["properties"]["app_token"]["writeOnly"], true);
  EXPECT_EQ(instance["properties"]["app_token"]["x-bambuddy-secret"], true);
  EXPECT_EQ(instance["properties"]["server"]["x-bambuddy-destination"], true);
  EXPECT_EQ(instance["required"], json::array({"server", "app_token"}));
}

} // namespace descriptor_test
} // namespace bambuddy::notifier_gotify::test
