#include "matrix_test_util.h"

namespace bambuddy::notifier_matrix::test {
namespace descriptor_test {

// Sizes, ABI version, ops and schema compilation: PluginConformance (tests/plugin_conformance).
TEST_F(MatrixTest, IdentityAndSecretMarks) {
  const bb_plugin_descriptor* d = descriptor();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, BB_KIND_NOTIFIER);
  EXPECT_STREQ(d->name, "notifier.matrix");
  json instance = json::parse(d->instance_schema);
  EXPECT_EQ(instance,
            json::parse(bambuddy::testing::readFile(NOTIFIER_MATRIX_SCHEMA_DIR "/instance.schema.json")));
  EXPECT_EQ(instance["properties"]["access_token"]["writeOnly"], true);
  EXPECT_EQ(instance["properties"]["access_token"]["x-bambuddy-secret"], true);
  EXPECT_EQ(instance["properties"]["homeserver"]["x-bambuddy-destination"], true);
  EXPECT_EQ(instance["required"], json::array({"homeserver", "access_token", "room_id"}));
}

} // namespace descriptor_test
} // namespace bambuddy::notifier_matrix::test
