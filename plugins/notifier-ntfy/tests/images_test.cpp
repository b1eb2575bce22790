// sendWithAttachments(): ntfy's attach-a-local-file publish (PUT, the image as the body,
// Filename, the message in a Message header that ntfy decodes); the text publish as before without
// an image or when the server refuses the attachment.
#include "ntfy_test_util.h"

namespace bambuddy::notifier_ntfy::test {
namespace images_test {

using bambuddy::testing::ReceivedRequest;
using bambuddy::testing::TestAttachment;

const std::string kPng = std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) + std::string(4000, '\x7F');

TestAttachment thumbnail() {
  TestAttachment image;
  image.data = kPng;
  return image;
}

TEST_F(NtfyTest, ImageIsTheBodyAndTheMessageAHeader) {
  json s = local();
  s["token"] = "tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2";
  s["click"] = "http://bambuddy.local/archives/{{archive_id}}";
  auto ntfy = create(s);
  SendOutcome out =
      ntfy->sendWithAttachments(notification("print_complete", kCompleteData), {thumbnail()}, kNowMs + 5000);
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_DELIVERED) << out.error();
  ASSERT_TRUE(rx_.waitForRequests(1, 5000));
  ReceivedRequest r = rx_.requests()[0];
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.target, "/farm_alerts");
  EXPECT_EQ(r.body, kPng);
  EXPECT_EQ(r.header("content-type"), "image/png");
  EXPECT_EQ(r.header("filename"), "thumbnail.png");
  EXPECT_EQ(r.header("message"),
            "benchy.3mf finished on Workshop X1C after 2h 15m, using 45.2 g of filament.");
  EXPECT_EQ(r.header("title"), "Print finished: benchy.3mf on Workshop X1C");
  EXPECT_EQ(r.header("priority"), "3");
  EXPECT_EQ(r.header("tags"), "white_check_mark");
  EXPECT_EQ(r.header("click"), "http://bambuddy.local/archives/12");
  EXPECT_EQ(r.header("authorization"), "Bearer tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2");
}

TEST_F(NtfyTest, MessageHeaderIsOneSafeLine) {
  json s = local();
  s["templates"] = {
      {"test", {{"title", "T"}, {"message", "line 1\r\nline 2\nInjected: yes\r\x01 W\xC3\xBCrfel"}}}};
  auto ntfy = create(s);
  ASSERT_EQ(ntfy->sendWithAttachments(notification("test", json::object()), {thumbnail()}, kNowMs + 5000)
                .result.outcome,
            BB_DELIVERY_DELIVERED);
  ASSERT_TRUE(rx_.waitForRequests(1, 5000));
  ReceivedRequest r = rx_.requests()[0];
  EXPECT_FALSE(r.hasHeader("injected"));
  const std::string value = r.header("message");
  EXPECT_EQ(value.rfind("=?UTF-8?B?", 0), 0u) << value; // not ASCII: encoded words
  // ntfy decodes the words, then turns each literal "\n" into a line break.
  EXPECT_EQ(decodeHeader(value), "line 1\\nline 2\\nInjected: yes\\n  W\xC3\xBCrfel");
}

TEST_F(NtfyTest, WithoutImagesTheRequestIsUnchanged) {
  auto ntfy = create(local());
  const std::string body = notification("print_complete", kCompleteData);
  ASSERT_EQ(send(*ntfy, body).result.outcome, BB_DELIVERY_DELIVERED);
  ASSERT_EQ(ntfy->sendWithAttachments(body, {}, kNowMs + 5000).result.outcome, BB_DELIVERY_DELIVERED);
  ASSERT_TRUE(rx_.waitForRequests(2, 5000));
  auto reqs = rx_.requests();
  for (const ReceivedRequest& r : reqs) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.header("content-type"), "text/plain; charset=utf-8");
    EXPECT_FALSE(r.hasHeader("filename"));
    EXPECT_FALSE(r.hasHeader("message"));
    EXPECT_EQ(r.body, "benchy.3mf finished on Workshop X1C after 2h 15m, using 45.2 g of filament.");
  }
  EXPECT_EQ(reqs[0].headers, reqs[1].headers);
}

TEST_F(NtfyTest, RefusedAttachmentStillSendsTheText) {
  // What ntfy answers when the server has no attachment cache.
  rx_.enqueue({400,
               {{"Content-Type", "application/json"}},
               R"({"code":40014,"http":400,"error":"invalid request: attachments not allowed"})"});
  auto ntfy = create(local());
  SendOutcome out =
      ntfy->sendWithAttachments(notification("print_complete", kCompleteData), {thumbnail()}, kNowMs + 5000);
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_DELIVERED) << out.error();
  ASSERT_TRUE(rx_.waitForRequests(2, 5000));
  auto reqs = rx_.requests();
  EXPECT_EQ(reqs[0].method, "PUT");
  EXPECT_EQ(reqs[1].method, "POST");
  EXPECT_EQ(reqs[1].body, "benchy.3mf finished on Workshop X1C after 2h 15m, using 45.2 g of filament.");
  EXPECT_TRUE(host_.logged("the ntfy server refused the image (HTTP 400); the message was sent without it"));
}

} // namespace images_test
} // namespace bambuddy::notifier_ntfy::test
