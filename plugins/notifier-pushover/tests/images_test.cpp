// sendWithAttachments(): the same fields as a multipart request with the image as `attachment`;
// the form as before without an image, for an image over 2.5 MB, or when Pushover refuses it.
#include "pushover_test_util.h"

namespace bambuddy::notifier_pushover::test {
namespace images_test {

using bambuddy::testing::MultipartPart;
using bambuddy::testing::ReceivedRequest;
using bambuddy::testing::TestAttachment;

const std::string kOk = R"({"status":1,"request":"647d2300-702c-4b38-8b2f-d56326ae460b"})";
const std::string kJpeg =
    std::string("\xFF\xD8\xFF\xE0\0\x10JFIF\0", 11) + "\r\n--\r\n" + std::string(5000, '\xEE');

TestAttachment photo() {
  TestAttachment image;
  image.role = "finish_photo";
  image.filename = "finish.jpg";
  image.content_type = "image/jpeg";
  image.data = kJpeg;
  return image;
}

TEST_F(PushoverTest, ImageIsSentAsAttachmentWithTheSameFields) {
  rx_.setDefault({200, {{"Content-Type", "application/json"}}, kOk});
  auto pushover = create(local());
  SendOutcome out =
      pushover->sendWithAttachments(notification("print_complete", kCompleteData), {photo()}, kNowMs + 5000);
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_DELIVERED) << out.error();
  ReceivedRequest r = onlyRequest();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/1/messages.json");
  EXPECT_EQ(r.header("content-type").rfind("multipart/form-data; boundary=", 0), 0u);
  std::optional<std::vector<MultipartPart>> parts = r.multipart();
  ASSERT_TRUE(parts);
  std::vector<std::pair<std::string, std::string>> fields;
  for (size_t i = 0; i + 1 < parts->size(); ++i) {
    EXPECT_FALSE((*parts)[i].has_filename);
    EXPECT_EQ((*parts)[i].content_type, "");
    fields.emplace_back((*parts)[i].name, (*parts)[i].body);
  }
  std::vector<std::pair<std::string, std::string>> expected = {
      {"token", kAppToken},
      {"user", kUserKey},
      {"title", "Print finished: benchy.3mf on Workshop X1C"},
      {"message", "benchy.3mf finished on Workshop X1C after 2h 15m, using 45.2 g of filament."},
      {"priority", "0"}};
  EXPECT_EQ(fields, expected);
  const MultipartPart& file = parts->back();
  EXPECT_EQ(file.name, "attachment");
  EXPECT_EQ(file.filename, "finish.jpg");
  EXPECT_EQ(file.content_type, "image/jpeg");
  EXPECT_EQ(file.body, kJpeg);
}

TEST_F(PushoverTest, WithoutImagesOrOverTheLimitTheFormIsUnchanged) {
  rx_.setDefault({200, {}, kOk});
  auto pushover = create(local());
  const std::string body = notification("print_complete", kCompleteData);
  ASSERT_EQ(send(*pushover, body).result.outcome, BB_DELIVERY_DELIVERED);
  ASSERT_EQ(pushover->sendWithAttachments(body, {}, kNowMs + 5000).result.outcome, BB_DELIVERY_DELIVERED);
  TestAttachment big = photo();
  big.data = std::string(2621441, 'x'); // one byte over Pushover's 2.5 MB
  ASSERT_EQ(pushover->sendWithAttachments(body, {big}, kNowMs + 5000).result.outcome, BB_DELIVERY_DELIVERED);
  TestAttachment limit = photo();
  limit.data = std::string(2621440, 'y');
  ASSERT_EQ(pushover->sendWithAttachments(body, {limit}, kNowMs + 5000).result.outcome,
            BB_DELIVERY_DELIVERED);
  ASSERT_TRUE(rx_.waitForRequests(4, 5000));
  auto reqs = rx_.requests();
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(reqs[i].header("content-type"), "application/x-www-form-urlencoded") << i;
    EXPECT_EQ(reqs[i].body, reqs[0].body) << i;
  }
  ASSERT_TRUE(reqs[3].multipart());
  EXPECT_EQ(reqs[3].multipart()->back().body.size(), 2621440u);
}

TEST_F(PushoverTest, RefusedImageStillSendsTheText) {
  rx_.enqueue({400,
               {{"Content-Type", "application/json"}},
               R"({"attachment":"too large","errors":["attachment is too large"],"status":0})"});
  rx_.setDefault({200, {}, kOk});
  auto pushover = create(local());
  SendOutcome out =
      pushover->sendWithAttachments(notification("print_complete", kCompleteData), {photo()}, kNowMs + 5000);
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_DELIVERED) << out.error();
  ASSERT_TRUE(rx_.waitForRequests(2, 5000));
  auto reqs = rx_.requests();
  EXPECT_TRUE(reqs[0].multipart());
  EXPECT_EQ(reqs[1].header("content-type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(decodeForm(reqs[1].body)["title"], "Print finished: benchy.3mf on Workshop X1C");
  EXPECT_TRUE(host_.logged("Pushover refused the image (HTTP 400); the message was sent without it"));
  EXPECT_TRUE(neverLogged("SECRET"));
}

} // namespace images_test
} // namespace bambuddy::notifier_pushover::test
