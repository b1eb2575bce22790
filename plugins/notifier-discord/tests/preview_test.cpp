// preview(): the message send() would post, described from the same builder, without a request.
#include "discord_test_util.h"

namespace bambuddy::notifier_discord::test {
namespace preview_test {

TEST_F(DiscordTest, PreviewDescribesTheEmbedWithoutSending) {
  json s = local();
  s["username"] = "Farm bot";
  auto discord = createLocal(s);
  bambuddy::testing::PreviewOutcome p = discord->preview(notification("print_complete", kCompleteData));
  ASSERT_EQ(p.rc, BB_OK) << p.reason << ": " << p.message;
  json expected = {{"title", "Print finished: benchy.3mf on Workshop X1C"},
                   {"message", "benchy.3mf finished on Workshop X1C after 2h 15m, using 45.2 g of filament."},
                   {"fields",
                    {{{"name", "Printer"}, {"value", "Workshop X1C"}},
                     {{"name", "File"}, {"value", "benchy.3mf"}},
                     {{"name", "Duration"}, {"value", "2h 15m"}},
                     {{"name", "Filament"}, {"value", "45.2 g"}}}},
                   {"color", "#2ECC71"},
                   {"footer", "Bambuddy"},
                   {"username", "Farm bot"}};
  EXPECT_EQ(json::parse(p.json), expected) << p.json;
  EXPECT_EQ(p.json.find("SECRET"), std::string::npos); // the webhook token never shows
  EXPECT_EQ(rx_.requestCount(), 0u);
}

TEST_F(DiscordTest, PreviewUsesTheTemplatesSendUses) {
  json s = local();
  s["templates"] = {{"print_failed", {{"title", "{{printer}} failed"}}}};
  auto discord = createLocal(s);
  const std::string body = notification("print_failed", {{"printer", "P1S"}, {"reason", "spaghetti"}});
  json described = json::parse(discord->preview(body).json);
  rx_.setDefault({204, {}, ""});
  ASSERT_EQ(send(*discord, body).result.outcome, BB_DELIVERY_DELIVERED);
  json sent = json::parse(onlyRequest().body)["embeds"][0];
  EXPECT_EQ(described["title"], "P1S failed");
  EXPECT_EQ(described["title"], sent["title"]);
  EXPECT_EQ(described["message"], sent["description"]);
  EXPECT_EQ(described["color"], "#E74C3C");
}

TEST_F(DiscordTest, BrokenTemplateOrNotificationIsInvalidArgument) {
  json s = local();
  s["templates"] = {{"print_complete", {{"title", "Done {{filename"}}}};
  EXPECT_NE(refusal(s, localConfig()).find("/templates/print_complete/title: unclosed '{{'"),
            std::string::npos);
  auto discord = createLocal(local());
  expectMalformedPreviewRefused(*discord, "{\"event\":");
}

} // namespace preview_test
} // namespace bambuddy::notifier_discord::test
