// preview(): the message send() would deliver, from the same builder, without secrets and without
// a request; images are not sent (the text goes as without them).
#include "bark_test_util.h"

namespace bambuddy::notifier_bark::test {
namespace preview_test {

TEST_F(BarkTest, PreviewDescribesThePushWithoutTheDeviceKey) {
  json s = local();
  s["group"] = "printers";
  auto plugin = create(s);
  bambuddy::testing::PreviewOutcome p = plugin->preview(notification("print_complete", kCompleteData));
  ASSERT_EQ(p.rc, BB_OK) << p.reason << ": " << p.message;
  json expected = {{"title", "Print finished: benchy.3mf on Workshop X1C"},
                   {"message", "benchy.3mf finished on Workshop X1C after 2h 15m, using 45.2 g of filament."},
                   {"level", "active"},
                   {"group", "printers"}};
  EXPECT_EQ(json::parse(p.json), expected) << p.json;
  EXPECT_EQ(p.json.find("SECRET"), std::string::npos);
  EXPECT_EQ(rx_.requestCount(), 0u);
}

TEST_F(BarkTest, BrokenTemplateOrNotificationIsInvalidArgument) {
  json s = local();
  s["templates"] = {{"print_complete", {{"title", "{{x"}}}};
  EXPECT_NE(refusal(s).find("/templates/print_complete/title"), std::string::npos);
  auto plugin = create(local());
  expectMalformedPreviewRefused(*plugin);
}

TEST_F(BarkTest, ImagesAreNotSent) {
  rx_.setDefault({200, {}, R"({\"code\":200})"});
  auto plugin = create(local());
  expectImagesIgnored(*plugin, notification("print_complete", kCompleteData));
}

} // namespace preview_test
} // namespace bambuddy::notifier_bark::test
