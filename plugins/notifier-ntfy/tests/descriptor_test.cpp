#include "ntfy_test_util.h"

namespace bambuddy::notifier_ntfy::test {
namespace descriptor_test {

// Sizes, ABI version, ops and schema compilation: PluginConformance (tests/plugin_conformance).
TEST(NtfyDescriptor, IdentityAndSchemas) {
  const bb_plugin_descriptor* d = descriptor();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, BB_KIND_NOTIFIER);
  EXPECT_STREQ(d->name, "notifier.ntfy");
  EXPECT_STREQ(d->version, "1.0.0");
  json config = json::parse(d->config_schema);
  json instance = json::parse(d->instance_schema);
  EXPECT_EQ(config, json::parse(testing::readFile(NOTIFIER_NTFY_SCHEMA_DIR "/config.schema.json")));
  EXPECT_EQ(instance, json::parse(testing::readFile(NOTIFIER_NTFY_SCHEMA_DIR "/instance.schema.json")));
  EXPECT_EQ(instance["properties"]["token"]["writeOnly"], true);
  EXPECT_EQ(instance["properties"]["token"]["x-bambuddy-secret"], true);
  EXPECT_EQ(instance["properties"]["server"]["default"], "https://ntfy.sh");
  EXPECT_EQ(instance["required"], json::array({"topic"}));
}

} // namespace descriptor_test
} // namespace bambuddy::notifier_ntfy::test
