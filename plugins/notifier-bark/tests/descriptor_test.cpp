#include "bark_test_util.h"

namespace bambuddy::notifier_bark::test {
namespace descriptor_test {

// Sizes, ABI version, ops and schema compilation: PluginConformance (tests/plugin_conformance).
TEST_F(BarkTest, IdentityAndSecretMarks) {
  const bb_plugin_descriptor* d = descriptor();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, BB_KIND_NOTIFIER);
  EXPECT_STREQ(d->name, "notifier.bark");
  json instance = json::parse(d->instance_schema);
  EXPECT_EQ(instance,
            json::parse(bambuddy::testing::readFile(NOTIFIER_BARK_SCHEMA_DIR "/instance.schema.json")));
  EXPECT_EQ(instance["properties"]["device_key"]["writeOnly"], true);
  EXPECT_EQ(instance["properties"]["device_key"]["x-bambuddy-secret"], true);
  EXPECT_EQ(instance["properties"]["server"]["x-bambuddy-destination"], true);
  EXPECT_EQ(instance["properties"]["server"]["default"], "https://api.day.app");
}

} // namespace descriptor_test
} // namespace bambuddy::notifier_bark::test
