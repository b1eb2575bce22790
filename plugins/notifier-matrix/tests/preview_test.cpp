// preview(): the message send() would deliver, from the same builder, without secrets and without
// a request; images are not sent (the text goes as without them).
#include "matrix_test_util.h"

namespace bambuddy::notifier_matrix::test {
namespace preview_test {

TEST_F(MatrixTest, PreviewDescribesTheMessageWithoutTheToken) {
  auto plugin = create(local());
  bambuddy::testing::PreviewOutcome p = plugin->preview(
      notification("print_failed", {{"printer", "P1S"}, {"filename", "<a>.3mf"}, {"reason", "clog"}}));
  ASSERT_EQ(p.rc, BB_OK) << p.reason << ": " << p.message;
  json d = json::parse(p.json);
  EXPECT_EQ(d["title"], "Print failed: <a>.3mf on P1S");
  EXPECT_EQ(d["message"], "<a>.3mf failed on P1S: clog.");
  EXPECT_EQ(d["msgtype"], "m.text");
  EXPECT_EQ(d["format"], "org.matrix.custom.html");
  EXPECT_EQ(d["body"], "Print failed: <a>.3mf on P1S\n<a>.3mf failed on P1S: clog.");
  EXPECT_EQ(d["formatted_body"],
            "<b>Print failed: &lt;a&gt;.3mf on P1S</b><br>&lt;a&gt;.3mf failed on P1S: clog.");
  EXPECT_EQ(p.json.find("SECRET"), std::string::npos);
  EXPECT_EQ(rx_.requestCount(), 0u);
}

TEST_F(MatrixTest, BrokenTemplateOrNotificationIsInvalidArgument) {
  json s = local();
  s["templates"] = {{"print_complete", {{"title", "{{x"}}}};
  EXPECT_NE(refusal(s).find("/templates/print_complete/title"), std::string::npos);
  auto plugin = create(local());
  expectMalformedPreviewRefused(*plugin);
}

TEST_F(MatrixTest, ImagesAreNotSent) {
  rx_.setDefault({200, {}, R"({\"event_id\":\"$e\"})"});
  auto plugin = create(local());
  expectImagesIgnored(*plugin, notification("print_complete", kCompleteData));
}

} // namespace preview_test
} // namespace bambuddy::notifier_matrix::test
