// Bad settings and config are refused at creation with a message naming the field and the reason.
#include "discord_test_util.h"

namespace bambuddy::notifier_discord::test {
namespace settings_test {

const std::string P = "notifier.discord settings: ";

TEST_F(DiscordTest, WebhookUrlMustBeADiscordWebhook) {
  EXPECT_EQ(refusal(json::object()), P + "/webhook_url is required");
  EXPECT_EQ(refusal({{"webhook_url", 5}}), P + "/webhook_url must be a string, got number");
  EXPECT_EQ(
      refusal({{"webhook_url", "https://example.com/api/webhooks/1/SECRETtok"}}),
      P + "/webhook_url must be a Discord webhook URL on https://discord.com or https://discordapp.com, not "
          "https://example.com");
  EXPECT_EQ(
      refusal({{"webhook_url", "http://discord.com/api/webhooks/1/SECRETtok"}}),
      P + "/webhook_url must be a Discord webhook URL on https://discord.com or https://discordapp.com, not "
          "http://discord.com");
  EXPECT_EQ(
      refusal({{"webhook_url", "https://discord.com:8443/api/webhooks/1/SECRETtok"}}),
      P + "/webhook_url must be a Discord webhook URL on https://discord.com or https://discordapp.com, not "
          "https://discord.com:8443");
  std::string path_error = P + "/webhook_url path must be /api/webhooks/<numeric id>/<token> (copy the URL "
                               "from the channel's Integrations > Webhooks)";
  EXPECT_EQ(refusal({{"webhook_url", "https://discord.com/api/channels/1/SECRETtok"}}), path_error);
  EXPECT_EQ(refusal({{"webhook_url", "https://discord.com/api/webhooks/abc/SECRETtok"}}), path_error);
  EXPECT_EQ(refusal({{"webhook_url", "https://discord.com/api/webhooks/1/SECRETtok/slack"}}), path_error);
  EXPECT_EQ(refusal({{"webhook_url", "https://discord.com/api/webhooks/1/SECRETtok?wait=true"}}),
            P + "/webhook_url must not have a query, fragment or user:password@ part");
  EXPECT_EQ(refusal({{"webhook_url", "discord.com/api/webhooks/1/SECRETtok"}}),
            P + "/webhook_url is not an absolute URL (expected e.g. http://example.com/...)");
  EXPECT_NO_THROW(create({{"webhook_url", "https://discord.com/api/webhooks/1184/SECRETtok"}}));
  EXPECT_NO_THROW(create({{"webhook_url", "https://discordapp.com/api/v10/webhooks/1184/SECRET-tok_2"}}));
  EXPECT_TRUE(neverLogged("SECRET"));
}

TEST_F(DiscordTest, OtherFields) {
  json s = {{"webhook_url", "https://discord.com/api/webhooks/1184/tok"}};
  s["colour"] = 1;
  EXPECT_EQ(refusal(s), P + "unknown property /colour (allowed: webhook_url, username, avatar_url, colors, "
                            "templates, timeout_ms)");
  s.erase("colour");
  s["colors"] = {{"print_failed", 0x1000000}};
  EXPECT_EQ(refusal(s),
            P + "/colors/print_failed must be an integer from 0 to 16777215 (0xRRGGBB), got 16777216");
  s["colors"] = {{"Print", 1}};
  EXPECT_EQ(refusal(s),
            P + "/colors/Print: not an event name (lower-case letters, digits and '_', or \"*\")");
  s.erase("colors");
  s["username"] = "@everyone";
  EXPECT_EQ(refusal(s), P + "/username must not contain '@', '#', ':' or '`' (Discord refuses such names)");
  s["username"] = std::string(81, 'a');
  EXPECT_EQ(refusal(s), P + "/username must be 1 to 80 bytes long, got 81");
  s.erase("username");
  s["avatar_url"] = "http://example.com/a.png";
  EXPECT_EQ(refusal(s), P + "/avatar_url must be an https:// URL");
  s.erase("avatar_url");
  s["templates"] = {{"print_complete", {{"title", "{{x"}}}};
  EXPECT_EQ(refusal(s), P + "/templates/print_complete/title: unclosed '{{' at offset 0");
  s.erase("templates");
  s["timeout_ms"] = 99;
  EXPECT_EQ(refusal(s), P + "/timeout_ms must be an integer from 100 to 120000, got 99");
}

TEST_F(DiscordTest, ConfigErrors) {
  json s = {{"webhook_url", "https://discord.com/api/webhooks/1184/tok"}};
  EXPECT_EQ(
      refusal(s, {{"webhook_origins", {"https://gw.example/x"}}}, "invalid_config"),
      "notifier.discord config: /webhook_origins/0 must be an origin only (scheme, host, optional port), "
      "without a path or query");
  EXPECT_EQ(refusal(s, {{"webhook_origins", json::array()}}, "invalid_config"),
            "notifier.discord config: /webhook_origins must be a non-empty array of origins such as "
            "\"https://example.com\"");
  EXPECT_EQ(
      refusal(s, {{"deny_cidrs", {"10.0.0.0/33"}}}, "invalid_config"),
      "notifier.discord config: /deny_cidrs/0: '10.0.0.0/33' is not a valid CIDR (prefix length 33 exceeds "
      "32 for IPv4)");
  EXPECT_EQ(
      refusal(s, {{"proxy", "x"}}, "invalid_config"),
      "notifier.discord config: unknown property /proxy (allowed: allow_cidrs, deny_cidrs, webhook_origins)");
}

} // namespace settings_test
} // namespace bambuddy::notifier_discord::test
