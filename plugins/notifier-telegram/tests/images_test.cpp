// sendWithAttachments(): sendPhoto with the text as a MarkdownV2 caption when it fits 1024
// characters; sendMessage as before when it does not, when there is no image, or when Telegram
// refuses the photo.
#include "telegram_test_util.h"

namespace bambuddy::notifier_telegram::test {
namespace images_test {

using bambuddy::testing::MultipartPart;
using bambuddy::testing::ReceivedRequest;
using bambuddy::testing::TestAttachment;

const std::string kOk = R"({"ok":true,"result":{"message_id":7}})";
const std::string kPng =
    std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) + "\r\n--x\r\n" + std::string(2000, '\x01');

TestAttachment thumbnail() {
  TestAttachment image;
  image.data = kPng;
  return image;
}

// name -> part, failing the test on a repeated name.
std::map<std::string, MultipartPart> byName(const std::vector<MultipartPart>& parts) {
  std::map<std::string, MultipartPart> out;
  for (const MultipartPart& p : parts) {
    EXPECT_EQ(out.count(p.name), 0u) << p.name;
    out[p.name] = p;
  }
  return out;
}

TEST_F(TelegramTest, PhotoWithCaptionThreadAndSilence) {
  rx_.setDefault({200, {{"Content-Type", "application/json"}}, kOk});
  json s = local();
  s["message_thread_id"] = 42;
  s["silent"] = true;
  auto telegram = create(s);
  SendOutcome out = telegram->sendWithAttachments(notification("print_complete", kCompleteData),
                                                  {thumbnail()}, kNowMs + 5000);
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_DELIVERED) << out.error();
  ReceivedRequest r = onlyRequest();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/bot" + kToken + "/sendPhoto");
  EXPECT_EQ(r.header("user-agent"), "Bambuddy-Telegram/1");
  std::optional<std::vector<MultipartPart>> parts = r.multipart();
  ASSERT_TRUE(parts) << r.header("content-type");
  ASSERT_EQ(parts->size(), 6u);
  auto p = byName(*parts);
  EXPECT_EQ(p["chat_id"].body, "-1001234567890");
  EXPECT_EQ(p["message_thread_id"].body, "42");
  EXPECT_EQ(p["caption"].body,
            "*Print finished: benchy\\.3mf on Workshop X1C*\n"
            "benchy\\.3mf finished on Workshop X1C after 2h 15m, using 45\\.2 g of filament\\.");
  EXPECT_EQ(p["parse_mode"].body, "MarkdownV2");
  EXPECT_EQ(p["disable_notification"].body, "true");
  for (const char* field :
       {"chat_id", "message_thread_id", "caption", "parse_mode", "disable_notification"}) {
    EXPECT_FALSE(p[field].has_filename) << field;
    EXPECT_EQ(p[field].content_type, "") << field;
  }
  EXPECT_EQ(p["photo"].filename, "thumbnail.png");
  EXPECT_EQ(p["photo"].content_type, "image/png");
  EXPECT_EQ(p["photo"].body, kPng);
}

TEST_F(TelegramTest, ChannelUsernameAndNoOptionalFields) {
  rx_.setDefault({200, {}, kOk});
  json s = local();
  s["chat_id"] = "@farm_channel";
  auto telegram = create(s);
  ASSERT_EQ(telegram->sendWithAttachments(notification("test", json::object()), {thumbnail()}, kNowMs + 5000)
                .result.outcome,
            BB_DELIVERY_DELIVERED);
  auto p = byName(*onlyRequest().multipart());
  EXPECT_EQ(p.size(), 4u); // chat_id, photo, caption, parse_mode
  EXPECT_EQ(p["chat_id"].body, "@farm_channel");
}

TEST_F(TelegramTest, TooLongForACaptionSendsTheTextAlone) {
  rx_.setDefault({200, {}, kOk});
  json s = local();
  s["templates"] = {{"test", {{"title", ""}, {"message", "{{m}}"}}}};
  auto telegram = create(s);
  // 1024 characters fit (an emoji counts twice, as Telegram counts UTF-16); 1025 do not.
  const std::string fits = std::string(1022, 'a') + "\xF0\x9F\x98\x80";
  ASSERT_EQ(telegram->sendWithAttachments(notification("test", {{"m", fits}}), {thumbnail()}, kNowMs + 5000)
                .result.outcome,
            BB_DELIVERY_DELIVERED);
  const std::string too_long = fits + "b";
  ASSERT_EQ(
      telegram->sendWithAttachments(notification("test", {{"m", too_long}}), {thumbnail()}, kNowMs + 5000)
          .result.outcome,
      BB_DELIVERY_DELIVERED);
  ASSERT_TRUE(rx_.waitForRequests(2, 5000));
  auto reqs = rx_.requests();
  EXPECT_EQ(reqs[0].target, "/bot" + kToken + "/sendPhoto");
  EXPECT_EQ(reqs[1].target, "/bot" + kToken + "/sendMessage");
  EXPECT_EQ(reqs[1].header("content-type"), "application/json");
  EXPECT_EQ(json::parse(reqs[1].body)["text"], too_long);
}

TEST_F(TelegramTest, WithoutImagesTheRequestIsUnchanged) {
  rx_.setDefault({200, {}, kOk});
  auto telegram = create(local());
  const std::string body = notification("print_complete", kCompleteData);
  ASSERT_EQ(send(*telegram, body).result.outcome, BB_DELIVERY_DELIVERED);
  ASSERT_EQ(telegram->sendWithAttachments(body, {}, kNowMs + 5000).result.outcome, BB_DELIVERY_DELIVERED);
  ASSERT_TRUE(rx_.waitForRequests(2, 5000));
  auto reqs = rx_.requests();
  EXPECT_EQ(reqs[0].target, reqs[1].target);
  EXPECT_EQ(reqs[0].header("content-type"), "application/json");
  EXPECT_EQ(reqs[0].body, reqs[1].body);
}

TEST_F(TelegramTest, RefusedPhotoStillSendsTheText) {
  rx_.enqueue({400,
               {{"Content-Type", "application/json"}},
               R"({"ok":false,"error_code":400,"description":"Bad Request: PHOTO_INVALID_DIMENSIONS"})"});
  rx_.setDefault({200, {}, kOk});
  auto telegram = create(local());
  SendOutcome out = telegram->sendWithAttachments(notification("print_complete", kCompleteData),
                                                  {thumbnail()}, kNowMs + 5000);
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_DELIVERED) << out.error();
  ASSERT_TRUE(rx_.waitForRequests(2, 5000));
  auto reqs = rx_.requests();
  EXPECT_EQ(reqs[0].target, "/bot" + kToken + "/sendPhoto");
  EXPECT_EQ(reqs[1].target, "/bot" + kToken + "/sendMessage");
  EXPECT_TRUE(host_.logged("Telegram refused the photo (HTTP 400); the message was sent without it"));
  EXPECT_TRUE(neverLogged("SECRET"));
}

} // namespace images_test
} // namespace bambuddy::notifier_telegram::test
