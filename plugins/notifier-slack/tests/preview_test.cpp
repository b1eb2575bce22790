// preview(): the message send() would post, from the same builder, without a request; images are
// not uploaded (incoming webhooks take no files): the text goes as without them.
#include "slack_test_util.h"

namespace bambuddy::notifier_slack::test {
namespace preview_test {

TEST_F(SlackTest, PreviewDescribesTheMessageWithoutSending) {
  auto slack = createLocal(local());
  bambuddy::testing::PreviewOutcome p = slack->preview(notification("print_complete", kCompleteData));
  ASSERT_EQ(p.rc, BB_OK) << p.reason << ": " << p.message;
  json expected = {{"title", "Print finished: benchy.3mf on Workshop X1C"},
                   {"message", "benchy.3mf finished on Workshop X1C after 2h 15m, using 45.2 g of filament."},
                   {"fields",
                    {{{"name", "Printer"}, {"value", "Workshop X1C"}},
                     {{"name", "File"}, {"value", "benchy.3mf"}},
                     {{"name", "Duration"}, {"value", "2h 15m"}},
                     {{"name", "Filament"}, {"value", "45.2 g"}}}},
                   {"format", "mrkdwn"}};
  EXPECT_EQ(json::parse(p.json), expected) << p.json;
  EXPECT_EQ(p.json.find("SECRET"), std::string::npos); // the webhook URL never shows
  EXPECT_EQ(rx_.requestCount(), 0u);
}

TEST_F(SlackTest, PreviewMatchesWhatSendPosts) {
  json s = local();
  s["templates"] = {{"*", {{"title", "{{printer}} <b>"}, {"message", "{{event}}"}}}};
  auto slack = createLocal(s);
  const std::string body = notification("printer_online", {{"printer", "P1S"}});
  json described = json::parse(slack->preview(body).json);
  rx_.setDefault({200, {}, "ok"});
  ASSERT_EQ(send(*slack, body).result.outcome, BB_DELIVERY_DELIVERED);
  json sent = json::parse(onlyRequest().body);
  EXPECT_EQ(described["title"], "P1S <b>");
  EXPECT_EQ(described["title"], sent["blocks"][0]["text"]["text"]);
  EXPECT_EQ(described["message"], "printer_online");
}

TEST_F(SlackTest, BrokenTemplateOrNotificationIsInvalidArgument) {
  json s = local();
  s["templates"] = {{"print_complete", {{"message", "{{}}"}}}};
  EXPECT_NE(refusal(s, localConfig()).find("/templates/print_complete/message"), std::string::npos);
  auto slack = createLocal(local());
  expectMalformedPreviewRefused(*slack, R"({"id":"e","event":7})");
}

TEST_F(SlackTest, ImagesAreNotUploaded) {
  rx_.setDefault({200, {}, "ok"});
  auto slack = createLocal(local());
  expectImagesIgnored(*slack, notification("print_complete", kCompleteData));
}

} // namespace preview_test
} // namespace bambuddy::notifier_slack::test
