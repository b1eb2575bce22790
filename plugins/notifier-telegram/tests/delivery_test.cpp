// Deliveries to a real local receiver standing in for the Bot API: the exact sendMessage request,
// MarkdownV2 escaping, and how Telegram's answers become results.
#include "telegram_test_util.h"

namespace bambuddy::notifier_telegram::test {
namespace delivery_test {

using bambuddy::testing::ReceivedRequest;

const std::string kOk = R"({"ok":true,"result":{"message_id":7}})";

TEST_F(TelegramTest, SendsMessageWithMarkdownV2) {
  rx_.setDefault({200, {{"Content-Type", "application/json"}}, kOk});
  auto telegram = create(local());
  SendOutcome out = send(*telegram, notification("print_complete", kCompleteData));
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_DELIVERED) << out.error();
  ReceivedRequest r = onlyRequest();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/bot" + kToken + "/sendMessage");
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.header("user-agent"), "Bambuddy-Telegram/1");
  json expected = {{"chat_id", -1001234567890},
                   {"text",
                    "*Print finished: benchy\\.3mf on Workshop X1C*\n"
                    "benchy\\.3mf finished on Workshop X1C after 2h 15m, using 45\\.2 g of filament\\."},
                   {"parse_mode", "MarkdownV2"},
                   {"link_preview_options", {{"is_disabled", true}}}};
  EXPECT_EQ(json::parse(r.body), expected) << r.body;
}

TEST_F(TelegramTest, EveryMarkdownV2SpecialCharacterIsEscaped) {
  json s = local();
  s["templates"] = {{"test", {{"title", "{{t}}"}, {"message", "{{m}}"}}}};
  s["message_thread_id"] = 42;
  s["silent"] = true;
  s["chat_id"] = "@farm_channel";
  auto telegram = create(s);
  json data = {{"t", "_*[]()~`>#+-=|{}.!\\"},
               {"m", "ok_file (v2) [x] 1+1=2 a-b c.d e!f g|h {i} #j >k ~l `m` \\n"}};
  ASSERT_EQ(send(*telegram, notification("test", data)).result.outcome, BB_DELIVERY_DELIVERED);
  json body = json::parse(onlyRequest().body);
  EXPECT_EQ(body["text"],
            "*\\_\\*\\[\\]\\(\\)\\~\\`\\>\\#\\+\\-\\=\\|\\{\\}\\.\\!\\\\*\n"
            "ok\\_file \\(v2\\) \\[x\\] 1\\+1\\=2 a\\-b c\\.d e\\!f g\\|h \\{i\\} \\#j \\>k \\~l "
            "\\`m\\` \\\\n");
  EXPECT_EQ(body["message_thread_id"], 42);
  EXPECT_EQ(body["disable_notification"], true);
  EXPECT_EQ(body["chat_id"], "@farm_channel");
}

TEST_F(TelegramTest, RateLimitUsesParametersRetryAfter) {
  auto telegram = create(local());
  rx_.enqueue({429,
               {{"Content-Type", "application/json"}},
               R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 17",)"
               R"("parameters":{"retry_after":17}})"});
  SendOutcome out = send(*telegram, notification("test", json::object()));
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_EQ(out.result.retry_after_ms, 17000);
  EXPECT_EQ(out.error(), "HTTP 429 from Telegram: rate limited, retry after 17 s (Telegram says: Too Many "
                         "Requests: retry after 17)");
  rx_.enqueue({502, {}, "Bad Gateway"});
  SendOutcome down = send(*telegram, notification("test", json::object()));
  EXPECT_EQ(down.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_EQ(down.error(), "HTTP 502 from Telegram");
}

TEST_F(TelegramTest, RefusalsArePermanentWithAReason) {
  auto telegram = create(local());
  rx_.enqueue({401, {}, R"({"ok":false,"error_code":401,"description":"Unauthorized"})"});
  SendOutcome bad_token = send(*telegram, notification("test", json::object()));
  EXPECT_EQ(bad_token.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(bad_token.error(), "HTTP 401 from Telegram: the bot token is not valid (revoked or mistyped) "
                               "(Telegram says: Unauthorized)");
  rx_.enqueue(
      {403, {}, R"({"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"})"});
  EXPECT_EQ(send(*telegram, notification("test", json::object())).error(),
            "HTTP 403 from Telegram: the bot may not write to this chat (blocked, removed, or never started) "
            "(Telegram says: Forbidden: bot was blocked by the user)");
  rx_.enqueue({400,
               {},
               R"({"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a )"
               R"(supergroup chat","parameters":{"migrate_to_chat_id":-1009876543210}})"});
  SendOutcome migrated = send(*telegram, notification("test", json::object()));
  EXPECT_EQ(migrated.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_NE(migrated.error().find("the group is now chat -1009876543210, set chat_id to it"),
            std::string::npos)
      << migrated.error();
  rx_.enqueue({404, {}, R"({"ok":false,"error_code":404,"description":"Not Found"})"});
  EXPECT_EQ(send(*telegram, notification("test", json::object())).result.outcome, BB_DELIVERY_PERMANENT);
}

TEST_F(TelegramTest, SsrfGuardAndTheTokenStaysSecret) {
  json s = local();
  s["api_url"] = "http://169.254.169.254";
  auto metadata = create(s);
  EXPECT_EQ(send(*metadata, notification("test", json::object())).error(),
            "target address 169.254.169.254 is refused by the SSRF guard (cloud metadata)");
  auto denied = create(local(), {{"deny_cidrs", {"127.0.0.0/8"}}});
  SendOutcome d = send(*denied, notification("test", json::object()));
  EXPECT_EQ(d.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(d.error(),
            "target address 127.0.0.1 is refused by the SSRF guard (deny_cidrs entry 127.0.0.0/8)");
  EXPECT_EQ(rx_.requestCount(), 0u);

  auto telegram = create(local());
  EXPECT_TRUE(host_.logged("sending Telegram messages through " + rx_.url("")));
  rx_.stop();
  SendOutcome out = send(*telegram, notification("test", json::object()));
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_EQ(out.error().find("SECRET"), std::string::npos) << out.error();
  EXPECT_TRUE(neverLogged("SECRET"));
}

} // namespace delivery_test
} // namespace bambuddy::notifier_telegram::test
