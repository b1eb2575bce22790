// Deliveries to a real local receiver standing in for Discord: the exact request, and how
// Discord's answers (rate limits, a deleted webhook, outages) become results.
#include "discord_test_util.h"

namespace bambuddy::notifier_discord::test {
namespace delivery_test {

using bambuddy::testing::ReceivedRequest;

TEST_F(DiscordTest, PostsOneEmbedWithFieldsAndColour) {
  rx_.setDefault({204, {}, ""});
  auto discord = createLocal(local());
  SendOutcome out = send(*discord, notification("print_complete", kCompleteData));
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_DELIVERED) << out.error();
  EXPECT_EQ(out.result.http_status, 204);
  ReceivedRequest r = onlyRequest();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, kWebhookPath);
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.header("user-agent"), "Bambuddy-Discord/1");
  json body = json::parse(r.body);
  json expected = {
      {"allowed_mentions", {{"parse", json::array()}}},
      {"embeds",
       {{{"title", "Print finished: benchy.3mf on Workshop X1C"},
         {"description", "benchy.3mf finished on Workshop X1C after 2h 15m, using 45.2 g of filament."},
         {"color", 0x2ECC71},
         {"footer", {{"text", "Bambuddy"}}},
         {"timestamp", "2024-01-15T14:30:00Z"},
         {"fields",
          {{{"name", "Printer"}, {"value", "Workshop X1C"}, {"inline", true}},
           {{"name", "File"}, {"value", "benchy.3mf"}, {"inline", true}},
           {{"name", "Duration"}, {"value", "2h 15m"}, {"inline", true}},
           {{"name", "Filament"}, {"value", "45.2 g"}, {"inline", true}}}}}}}};
  EXPECT_EQ(body, expected) << body.dump(2);
}

TEST_F(DiscordTest, ColourUsernameAndTemplatesPerEvent) {
  json s = local();
  s["username"] = "Farm bot";
  s["colors"] = {{"print_failed", 0xFF0000}};
  s["templates"] = {{"print_failed", {{"title", "{{printer}} failed"}}}};
  auto discord = createLocal(s);
  json data = {{"printer", "P1S"}, {"filename", "gear.3mf"}, {"reason", "spaghetti"}};
  ASSERT_EQ(send(*discord, notification("print_failed", data)).result.outcome, BB_DELIVERY_DELIVERED);
  ASSERT_EQ(send(*discord, notification("printer_offline", {{"printer", "P1S"}})).result.outcome,
            BB_DELIVERY_DELIVERED);
  auto reqs = rx_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  json failed = json::parse(reqs[0].body);
  EXPECT_EQ(failed["username"], "Farm bot");
  EXPECT_EQ(failed["embeds"][0]["title"], "P1S failed");
  EXPECT_EQ(failed["embeds"][0]["description"], "gear.3mf failed on P1S: spaghetti.");
  EXPECT_EQ(failed["embeds"][0]["color"], 0xFF0000);
  EXPECT_EQ(failed["embeds"][0]["fields"].size(), 2u); // printer and file only
  json offline = json::parse(reqs[1].body);
  EXPECT_EQ(offline["embeds"][0]["color"], 0x7F8C8D);
  EXPECT_EQ(offline["embeds"][0]["fields"],
            json::array({{{"name", "Printer"}, {"value", "P1S"}, {"inline", true}}}));
}

TEST_F(DiscordTest, RateLimitUsesTheBodysFractionalRetryAfter) {
  auto discord = createLocal(local());
  rx_.enqueue({429,
               {{"Content-Type", "application/json"}},
               R"({"message": "You are being rate limited.", "retry_after": 1.234, "global": false})"});
  SendOutcome out = send(*discord, notification("test", json::object()));
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_EQ(out.result.http_status, 429);
  EXPECT_EQ(out.result.retry_after_ms, 1234);
  EXPECT_EQ(
      out.error(),
      "HTTP 429 from Discord: rate limited, retry after 1234 ms (Discord says: You are being rate limited.)");
  // The header alone counts too, and the longer of the two wins.
  rx_.enqueue({429, {{"Retry-After", "3"}}, R"({"retry_after": 0.5})"});
  EXPECT_EQ(send(*discord, notification("test", json::object())).result.retry_after_ms, 3000);
  rx_.enqueue({429, {{"Retry-After", "2"}}, "slow down"});
  EXPECT_EQ(send(*discord, notification("test", json::object())).result.retry_after_ms, 2000);
}

TEST_F(DiscordTest, RefusalsArePermanentWithAReason) {
  auto discord = createLocal(local());
  rx_.enqueue({401, {}, R"({"message": "Invalid Webhook Token", "code": 50027})"});
  SendOutcome unauthorized = send(*discord, notification("test", json::object()));
  EXPECT_EQ(unauthorized.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(unauthorized.result.http_status, 401);
  EXPECT_EQ(unauthorized.error(),
            "HTTP 401 from Discord: the webhook token in webhook_url is not valid; copy "
            "the URL again (Discord says: Invalid Webhook Token)");
  rx_.enqueue({404, {}, R"({"message": "Unknown Webhook", "code": 10015})"});
  SendOutcome gone = send(*discord, notification("test", json::object()));
  EXPECT_EQ(gone.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(gone.error(), "HTTP 404 from Discord: the webhook does not exist (deleted, or a wrong "
                          "webhook_url) (Discord says: Unknown Webhook)");
  rx_.enqueue({410, {}, ""});
  SendOutcome stop = send(*discord, notification("test", json::object()));
  EXPECT_EQ(stop.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(stop.result.http_status, 410); // the core disables the provider
  rx_.enqueue({503, {}, "upstream"});
  EXPECT_EQ(send(*discord, notification("test", json::object())).result.outcome, BB_DELIVERY_RETRYABLE);
  rx_.enqueue({0, {}, "", 0, true}); // connection dropped
  EXPECT_EQ(send(*discord, notification("test", json::object())).result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_EQ(send(*discord, "[1]").result.outcome, BB_DELIVERY_PERMANENT);
}

TEST_F(DiscordTest, SsrfGuardAppliesToTheWebhookHost) {
  auto metadata = create({{"webhook_url", "http://169.254.169.254/api/webhooks/1/t"}},
                         {{"webhook_origins", {"http://169.254.169.254"}}});
  SendOutcome m = send(*metadata, notification("test", json::object()));
  EXPECT_EQ(m.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(m.error(), "target address 169.254.169.254 is refused by the SSRF guard (cloud metadata)");
  json config = localConfig();
  config["deny_cidrs"] = {"127.0.0.0/8"};
  auto denied = create(local(), config);
  SendOutcome d = send(*denied, notification("test", json::object()));
  EXPECT_EQ(d.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(d.error(),
            "target address 127.0.0.1 is refused by the SSRF guard (deny_cidrs entry 127.0.0.0/8)");
  EXPECT_EQ(rx_.requestCount(), 0u);
}

TEST_F(DiscordTest, TheWebhookTokenStaysOutOfLogsAndErrors) {
  auto discord = createLocal(local());
  EXPECT_TRUE(host_.logged("posting to a Discord webhook on " + rx_.url("")));
  rx_.stop();
  SendOutcome out = send(*discord, notification("test", json::object()));
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_EQ(out.error().find("SECRET"), std::string::npos) << out.error();
  EXPECT_TRUE(neverLogged("SECRET"));
  EXPECT_TRUE(neverLogged("1184000000000000001"));
}

} // namespace delivery_test
} // namespace bambuddy::notifier_discord::test
