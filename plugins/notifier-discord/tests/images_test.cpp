// sendWithAttachments(): the thumbnail as a multipart upload (payload_json and files[0]) shown as
// the embed's image; the embed alone when there is no image or Discord refuses the upload.
#include "discord_test_util.h"

namespace bambuddy::notifier_discord::test {
namespace images_test {

using bambuddy::testing::MultipartPart;
using bambuddy::testing::ReceivedRequest;
using bambuddy::testing::TestAttachment;

// Bytes a text path would break: NUL, CR LF, a would-be boundary, high bytes.
const std::string kPng =
    std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) + "\r\n--x\r\n" + std::string(3000, '\xAB');

TEST_F(DiscordTest, ThumbnailIsUploadedAsTheEmbedImage) {
  rx_.setDefault({200, {{"Content-Type", "application/json"}}, R"({"id":"1"})"});
  auto discord = createLocal(local());
  TestAttachment image;
  image.data = kPng;
  SendOutcome out =
      discord->sendWithAttachments(notification("print_complete", kCompleteData), {image}, kNowMs + 5000);
  ASSERT_EQ(out.rc, BB_OK) << out.message;
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_DELIVERED) << out.error();
  ReceivedRequest r = onlyRequest();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, kWebhookPath);
  EXPECT_EQ(r.header("content-type").rfind("multipart/form-data; boundary=", 0), 0u)
      << r.header("content-type");
  std::optional<std::vector<MultipartPart>> parts = r.multipart();
  ASSERT_TRUE(parts) << r.body.substr(0, 400);
  ASSERT_EQ(parts->size(), 2u);
  const MultipartPart& payload = (*parts)[0];
  EXPECT_EQ(payload.name, "payload_json");
  EXPECT_FALSE(payload.has_filename);
  EXPECT_EQ(payload.content_type, "application/json");
  json body = json::parse(payload.body);
  EXPECT_EQ(body["embeds"][0]["image"], json({{"url", "attachment://thumbnail.png"}}));
  EXPECT_EQ(body["embeds"][0]["title"], "Print finished: benchy.3mf on Workshop X1C");
  EXPECT_EQ(body["attachments"], json::parse(R"([{"id":0,"filename":"thumbnail.png"}])"));
  EXPECT_EQ(body["allowed_mentions"], json({{"parse", json::array()}}));
  const MultipartPart& file = (*parts)[1];
  EXPECT_EQ(file.name, "files[0]");
  EXPECT_EQ(file.filename, "thumbnail.png");
  EXPECT_EQ(file.content_type, "image/png");
  EXPECT_EQ(file.body, kPng);
}

TEST_F(DiscordTest, WithoutImagesTheRequestIsUnchanged) {
  rx_.setDefault({204, {}, ""});
  auto discord = createLocal(local());
  const std::string body = notification("print_complete", kCompleteData);
  ASSERT_EQ(send(*discord, body).result.outcome, BB_DELIVERY_DELIVERED);
  ASSERT_EQ(discord->sendWithAttachments(body, {}, kNowMs + 5000).result.outcome, BB_DELIVERY_DELIVERED);
  ASSERT_TRUE(rx_.waitForRequests(2, 5000));
  auto reqs = rx_.requests();
  EXPECT_EQ(reqs[0].header("content-type"), "application/json");
  EXPECT_EQ(reqs[1].header("content-type"), "application/json");
  EXPECT_EQ(reqs[0].body, reqs[1].body);
  EXPECT_FALSE(json::parse(reqs[0].body)["embeds"][0].contains("image"));
}

TEST_F(DiscordTest, RefusedUploadStillSendsTheText) {
  rx_.enqueue({413, {{"Content-Type", "application/json"}}, R"({"message":"Request entity too large"})"});
  rx_.setDefault({204, {}, ""});
  auto discord = createLocal(local());
  TestAttachment image;
  image.data = kPng;
  SendOutcome out =
      discord->sendWithAttachments(notification("print_complete", kCompleteData), {image}, kNowMs + 5000);
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_DELIVERED) << out.error();
  EXPECT_EQ(out.result.http_status, 204);
  ASSERT_TRUE(rx_.waitForRequests(2, 5000));
  auto reqs = rx_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_TRUE(reqs[0].multipart());
  EXPECT_EQ(reqs[1].header("content-type"), "application/json");
  EXPECT_FALSE(json::parse(reqs[1].body)["embeds"][0].contains("image"));
  EXPECT_TRUE(host_.logged("Discord refused the image (HTTP 413); the message was sent without it"));

  // Other refusals are the delivery's answer, not the image's: no second request.
  rx_.clearRequests();
  rx_.enqueue({404, {{"Content-Type", "application/json"}}, R"({"message":"Unknown Webhook","code":10015})"});
  SendOutcome gone =
      discord->sendWithAttachments(notification("test", json::object()), {image}, kNowMs + 5000);
  EXPECT_EQ(gone.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(rx_.requestCount(), 1u);
}

} // namespace images_test
} // namespace bambuddy::notifier_discord::test
