// preview(): the text send() would post, from the same builder, without a request.
#include "telegram_test_util.h"

namespace bambuddy::notifier_telegram::test {
namespace preview_test {

TEST_F(TelegramTest, PreviewDescribesTheMessageWithoutSending) {
  auto telegram = create(local());
  bambuddy::testing::PreviewOutcome p = telegram->preview(notification("print_complete", kCompleteData));
  ASSERT_EQ(p.rc, BB_OK) << p.reason << ": " << p.message;
  json expected = {{"title", "Print finished: benchy.3mf on Workshop X1C"},
                   {"message", "benchy.3mf finished on Workshop X1C after 2h 15m, using 45.2 g of filament."},
                   {"format", "MarkdownV2"},
                   {"body",
                    "*Print finished: benchy\\.3mf on Workshop X1C*\n"
                    "benchy\\.3mf finished on Workshop X1C after 2h 15m, using 45\\.2 g of filament\\."}};
  EXPECT_EQ(json::parse(p.json), expected) << p.json;
  EXPECT_EQ(p.json.find("SECRET"), std::string::npos); // the bot token never shows
  EXPECT_EQ(rx_.requestCount(), 0u);
}

TEST_F(TelegramTest, PreviewBodyIsTheTextSendPosts) {
  json s = local();
  s["templates"] = {{"*", {{"title", "{{printer}}!"}, {"message", "{{event}} (x)"}}}};
  auto telegram = create(s);
  const std::string body = notification("printer_offline", {{"printer", "P1S"}});
  json described = json::parse(telegram->preview(body).json);
  rx_.setDefault({200, {}, R"({"ok":true})"});
  ASSERT_EQ(send(*telegram, body).result.outcome, BB_DELIVERY_DELIVERED);
  EXPECT_EQ(described["body"], json::parse(onlyRequest().body)["text"]);
  EXPECT_EQ(described["title"], "P1S!");
  EXPECT_EQ(described["message"], "printer_offline (x)");
}

TEST_F(TelegramTest, BrokenTemplateOrNotificationIsInvalidArgument) {
  json s = local();
  s["templates"] = {{"print_complete", {{"message", "{{ bad name }}"}}}};
  EXPECT_NE(refusal(s).find("/templates/print_complete/message"), std::string::npos);
  auto telegram = create(local());
  expectMalformedPreviewRefused(*telegram, R"({"id":"x"})");
}

} // namespace preview_test
} // namespace bambuddy::notifier_telegram::test
