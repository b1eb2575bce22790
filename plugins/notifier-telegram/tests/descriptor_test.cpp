#include "telegram_test_util.h"

namespace bambuddy::notifier_telegram::test {
namespace descriptor_test {

// Sizes, ABI version, ops and schema compilation: PluginConformance (tests/plugin_conformance).
TEST_F(TelegramTest, IdentityAndSecretMarks) {
  const bb_plugin_descriptor* d = descriptor();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, BB_KIND_NOTIFIER);
  EXPECT_STREQ(d->name, "notifier.telegram");
  json instance = json::parse(d->instance_schema);
  EXPECT_EQ(instance,
            json::parse(bambuddy::testing::readFile(NOTIFIER_TELEGRAM_SCHEMA_DIR "/instance.schema.json")));
  EXPECT_EQ(instance["properties"]["bot_token"]["writeOnly"], true);
  EXPECT_EQ(instance["properties"]["bot_token"]["x-bambuddy-secret"], true);
  EXPECT_EQ(instance["properties"]["api_url"]["x-bambuddy-destination"], true);
  EXPECT_EQ(instance["properties"]["api_url"]["default"], "https://api.telegram.org");
  EXPECT_EQ(instance["required"], json::array({"bot_token", "chat_id"}));
}

} // namespace descriptor_test
} // namespace bambuddy::notifier_telegram::test
