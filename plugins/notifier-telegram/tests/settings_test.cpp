// Bad settings are refused at creation with a message naming the field and the reason.
#include "telegram_test_util.h"

namespace bambuddy::notifier_telegram::test {
namespace settings_test {

const std::string P = "notifier.telegram settings: ";

TEST_F(TelegramTest, BotTokenChatAndTopic) {
  EXPECT_EQ(refusal({{"chat_id", 1}}),
            P + "/bot_token is required (a bot token from @BotFather, <bot id>:<secret>)");
  std::string token_error = P + "/bot_token must look like <bot id>:<secret> as @BotFather gives it (digits, "
                                "':', then 20 to 100 letters, digits, '_' or '-')";
  EXPECT_EQ(refusal({{"bot_token", "SECRET"}, {"chat_id", 1}}), token_error);
  EXPECT_EQ(refusal({{"bot_token", "12:SECRET/../../x_abcdefghijklmnop"}, {"chat_id", 1}}), token_error);
  std::string spaced = refusal({{"bot_token", "12: SECRET"}, {"chat_id", 1}});
  EXPECT_EQ(spaced, P + "/bot_token must be 1 to 128 printable ASCII characters without spaces (a bot token "
                        "from @BotFather, <bot id>:<secret>)");
  json s = local();
  s.erase("chat_id");
  EXPECT_EQ(refusal(s), P + "/chat_id is required");
  const std::string chat_error =
      P + "/chat_id must be a chat's numeric id (e.g. -1001234567890) or a public channel's @username";
  s["chat_id"] = "farm";
  EXPECT_EQ(refusal(s), chat_error);
  s["chat_id"] = 0;
  EXPECT_EQ(refusal(s), chat_error);
  s["chat_id"] = 1.5;
  EXPECT_EQ(refusal(s), P + "/chat_id must be an integer or a string, got number");
  s["chat_id"] = "-1001234567890";
  EXPECT_NO_THROW(create(s));
  s["message_thread_id"] = 0;
  EXPECT_EQ(refusal(s), P + "/message_thread_id must be an integer from 1 to 9223372036854775807, got 0");
  s["message_thread_id"] = "7";
  EXPECT_EQ(refusal(s),
            P + "/message_thread_id must be an integer from 1 to 9223372036854775807, got string");
  EXPECT_TRUE(neverLogged("SECRET"));
}

TEST_F(TelegramTest, ApiUrlAndOthers) {
  json s = local();
  s["api_url"] = "file:///etc/passwd";
  EXPECT_EQ(refusal(s), P + "/api_url scheme 'file' is not allowed (use http or https)");
  s["api_url"] = "https://api.telegram.org/?x=1";
  EXPECT_EQ(refusal(s), P + "/api_url must not have a query, fragment or user:password@ part");
  s["api_url"] = "https://bots.example.com/tg/";
  EXPECT_NO_THROW(create(s));
  EXPECT_TRUE(host_.logged("sending Telegram messages through https://bots.example.com"));
  s.erase("api_url");
  EXPECT_NO_THROW(create(s));
  EXPECT_TRUE(host_.logged("sending Telegram messages through https://api.telegram.org"));
  s["silent"] = "yes";
  EXPECT_EQ(refusal(s), P + "/silent must be true or false, got string");
  s.erase("silent");
  s["parse_mode"] = "HTML";
  EXPECT_EQ(refusal(s), P + "unknown property /parse_mode (allowed: bot_token, chat_id, message_thread_id, "
                            "api_url, silent, templates, timeout_ms)");
}

} // namespace settings_test
} // namespace bambuddy::notifier_telegram::test
