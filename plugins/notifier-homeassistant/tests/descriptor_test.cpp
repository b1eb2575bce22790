#include "ha_test_util.h"

namespace bambuddy::notifier_homeassistant::test {
namespace descriptor_test {

// Sizes, ABI version, ops and schema compilation: PluginConformance (tests/plugin_conformance).
TEST_F(HomeAssistantTest, IdentityAndSecretMarks) {
  const bb_plugin_descriptor* d = descriptor();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, BB_KIND_NOTIFIER);
  EXPECT_STREQ(d->name, "notifier.homeassistant");
  json instance = json::parse(d->instance_schema);
  EXPECT_EQ(instance, json::parse(bambuddy::testing::readFile(NOTIFIER_HOMEASSISTANT_SCHEMA_DIR
                                                              "/instance.schema.json")));
  EXPECT_EQ(instance["properties"]["token"]["writeOnly"], true);
  EXPECT_EQ(instance["properties"]["token"]["x-bambuddy-secret"], true);
  EXPECT_EQ(instance["properties"]["url"]["x-bambuddy-destination"], true);
  EXPECT_EQ(instance["properties"]["service"]["default"], "persistent_notification.create");
}

} // namespace descriptor_test
} // namespace bambuddy::notifier_homeassistant::test
