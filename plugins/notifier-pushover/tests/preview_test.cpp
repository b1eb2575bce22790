// preview(): the form fields send() would post, from the same builder, without the app token and
// user key, and without a request.
#include "pushover_test_util.h"

namespace bambuddy::notifier_pushover::test {
namespace preview_test {

TEST_F(PushoverTest, PreviewDescribesTheMessageWithoutSecrets) {
  json s = local();
  s["priority"] = {{"print_failed", 2}};
  s["retry"] = 60;
  s["expire"] = 3600;
  s["sound"] = "siren";
  auto pushover = create(s);
  bambuddy::testing::PreviewOutcome p = pushover->preview(notification("print_complete", kCompleteData));
  ASSERT_EQ(p.rc, BB_OK) << p.reason << ": " << p.message;
  json expected = {{"title", "Print finished: benchy.3mf on Workshop X1C"},
                   {"message", "benchy.3mf finished on Workshop X1C after 2h 15m, using 45.2 g of filament."},
                   {"priority", 0},
                   {"sound", "siren"}};
  EXPECT_EQ(json::parse(p.json), expected) << p.json;
  json failed = json::parse(pushover->preview(notification("print_failed", {{"printer", "P1S"}})).json);
  EXPECT_EQ(failed["priority"], 2);
  EXPECT_EQ(failed["retry"], 60);
  EXPECT_EQ(failed["expire"], 3600);
  for (const std::string& text : {p.json, failed.dump()}) {
    EXPECT_EQ(text.find("SECRET"), std::string::npos) << text;
  }
  EXPECT_EQ(rx_.requestCount(), 0u);
}

TEST_F(PushoverTest, PreviewMatchesWhatSendPosts) {
  json s = local();
  s["templates"] = {{"*", {{"title", "{{printer|?}}"}, {"message", "{{event}}: {{filename}}"}}}};
  auto pushover = create(s);
  const std::string body = notification("print_started", {{"printer", "X1"}, {"filename", "a.3mf"}});
  json described = json::parse(pushover->preview(body).json);
  rx_.setDefault({200, {}, R"({"status":1})"});
  ASSERT_EQ(send(*pushover, body).result.outcome, BB_DELIVERY_DELIVERED);
  auto form = decodeForm(onlyRequest().body);
  EXPECT_EQ(described["title"], form["title"]);
  EXPECT_EQ(described["message"], form["message"]);
  EXPECT_EQ(described["message"], "print_started: a.3mf");
}

TEST_F(PushoverTest, BrokenTemplateOrNotificationIsInvalidArgument) {
  json s = local();
  s["templates"] = {{"print_complete", {{"title", "{{"}}}};
  EXPECT_NE(refusal(s).find("/templates/print_complete/title"), std::string::npos);
  auto pushover = create(local());
  expectMalformedPreviewRefused(*pushover, "[]");
}

} // namespace preview_test
} // namespace bambuddy::notifier_pushover::test
