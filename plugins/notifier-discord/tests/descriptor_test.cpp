#include "discord_test_util.h"

namespace bambuddy::notifier_discord::test {
namespace descriptor_test {

// Sizes, ABI version, ops and schema compilation: PluginConformance (tests/plugin_conformance).
TEST_F(DiscordTest, IdentityAndSecretMarks) {
  const bb_plugin_descriptor* d = descriptor();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, BB_KIND_NOTIFIER);
  EXPECT_STREQ(d->name, "notifier.discord");
  json instance = json::parse(d->instance_schema);
  EXPECT_EQ(instance,
            json::parse(bambuddy::testing::readFile(NOTIFIER_DISCORD_SCHEMA_DIR "/instance.schema.json")));
  // The URL holds the webhook's token: secret, and where the provider sends.
  EXPECT_EQ(instance["properties"]["webhook_url"]["writeOnly"], true);
  EXPECT_EQ(instance["properties"]["webhook_url"]["x-bambuddy-secret"], true);
  EXPECT_EQ(instance["properties"]["webhook_url"]["x-bambuddy-destination"], true);
  EXPECT_EQ(instance["required"], json::array({"webhook_url"}));
  json config = json::parse(d->config_schema);
  EXPECT_EQ(config["properties"]["webhook_origins"]["default"],
            json::array({"https://discord.com", "https://discordapp.com"}));
}

} // namespace descriptor_test
} // namespace bambuddy::notifier_discord::test
