// preview(): the message send() would deliver, from the same builder, without secrets and without
// a request; images are not sent (the text goes as without them).
#include "gotify_test_util.h"

namespace bambuddy::notifier_gotify::test {
namespace preview_test {

TEST_F(GotifyTest, PreviewDescribesTheMessageWithoutSending) {
  auto plugin = create(local());
  bambuddy::testing::PreviewOutcome p = plugin->preview(notification("print_complete", kCompleteData));
  ASSERT_EQ(p.rc, BB_OK) << p.reason << ": " << p.message;
  json d = json::parse(p.json);
  EXPECT_EQ(d["title"], "Print finished: benchy.3mf on Workshop X1C");
  EXPECT_EQ(d["message"], "benchy.3mf finished on Workshop X1C after 2h 15m, using 45.2 g of filament.");
  EXPECT_EQ(d["fields"],
            json::parse(R"([{"name":"Printer","value":"Workshop X1C"},{"name":"File","value":"benchy.3mf"},)"
                        R"({"name":"Duration","value":"2h 15m"},{"name":"Filament","value":"45.2 g"}])"));
  EXPECT_EQ(d["priority"], 5);
  EXPECT_EQ(d["format"], "markdown");
  EXPECT_EQ(p.json.find("SECRET"), std::string::npos); // the app token never shows
  EXPECT_EQ(rx_.requestCount(), 0u);
  // "body" is the Markdown send() posts.
  rx_.setDefault({200, {}, "{}"});
  ASSERT_EQ(send(*plugin, notification("print_complete", kCompleteData)).result.outcome,
            BB_DELIVERY_DELIVERED);
  EXPECT_EQ(d["body"], json::parse(onlyRequest().body)["message"]);
}

TEST_F(GotifyTest, BrokenTemplateOrNotificationIsInvalidArgument) {
  json s = local();
  s["templates"] = {{"print_complete", {{"title", "{{x"}}}};
  EXPECT_NE(refusal(s).find("/templates/print_complete/title"), std::string::npos);
  auto plugin = create(local());
  expectMalformedPreviewRefused(*plugin);
}

TEST_F(GotifyTest, ImagesAreNotSent) {
  rx_.setDefault({200, {}, R"({\"id\":1})"});
  auto plugin = create(local());
  expectImagesIgnored(*plugin, notification("print_complete", kCompleteData));
}

} // namespace preview_test
} // namespace bambuddy::notifier_gotify::test
