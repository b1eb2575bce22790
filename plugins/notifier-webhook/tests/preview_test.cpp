// preview(): the body and headers send() would POST, from the same header builder, with the
// signature and the custom headers' values as placeholders, and without a request; images are not
// sent (the body stays the notification).
#include "webhook_test_util.h"

namespace bambuddy::notifier_webhook::test {
namespace preview_test {

TEST_F(WebhookTest, PreviewShowsTheBodyAndHeaderNamesWithoutSecrets) {
  json s = settingsFor();
  const std::string secret = makeSecret(1);
  s["secret"] = secret;
  s["headers"] = {{"X-Api-Key", "SECRETheadervalue"}};
  auto hook = create(s);
  bambuddy::testing::PreviewOutcome p = hook->preview(kNotification);
  ASSERT_EQ(p.rc, BB_OK) << p.reason << ": " << p.message;
  json d = json::parse(p.json);
  EXPECT_EQ(d["title"], "");
  EXPECT_EQ(d["message"], kNotification); // exactly the bytes send() posts
  json expected_headers = {{"Content-Type", "application/json"},
                           {"User-Agent", "Bambuddy-Webhook/1"},
                           {"webhook-id", "evt_01HMZ3V9X2"},
                           {"webhook-timestamp", "<Unix time of the attempt>"},
                           {"webhook-signature", "v1,<computed when sent>"},
                           {"X-Api-Key", "<secret>"}};
  EXPECT_EQ(d["headers"], expected_headers) << p.json;
  EXPECT_EQ(p.json.find("SECRET"), std::string::npos);
  EXPECT_EQ(p.json.find(secret.substr(6, 12)), std::string::npos);
  EXPECT_EQ(
      p.json.find(expectedSignature(secret, "evt_01HMZ3V9X2", "1705329000", kNotification).substr(3, 12)),
      std::string::npos);
  EXPECT_EQ(rx_.requestCount(), 0u);
}

TEST_F(WebhookTest, PreviewOfAnUnsignedWebhookHasNoSignature) {
  auto hook = create(settingsFor());
  json d = json::parse(hook->preview(kNotification).json);
  EXPECT_FALSE(d["headers"].contains("webhook-signature"));
  rx_.setDefault({204, {}, ""});
  ASSERT_EQ(send(*hook).result.outcome, BB_DELIVERY_DELIVERED);
  ASSERT_TRUE(rx_.waitForRequests(1, 5000));
  auto r = rx_.requests()[0];
  EXPECT_EQ(d["message"], r.body);
  for (const auto& [name, value] : d["headers"].items()) {
    EXPECT_TRUE(r.hasHeader(name)) << name;
  }
}

TEST_F(WebhookTest, MalformedNotificationIsInvalidArgument) {
  auto hook = create(settingsFor());
  bambuddy::testing::PreviewOutcome p = hook->preview("{\"data\":{}}");
  EXPECT_EQ(p.rc, BB_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(p.reason, "invalid_notification");
  EXPECT_EQ(rx_.requestCount(), 0u);
}

TEST_F(WebhookTest, ImagesAreNotSent) {
  rx_.setDefault({204, {}, ""});
  auto hook = create(settingsFor());
  bambuddy::testing::TestAttachment image;
  image.data = "\x89PNG";
  ASSERT_EQ(hook->sendWithAttachments(kNotification, {image}, kNowMs + 5000).result.outcome,
            BB_DELIVERY_DELIVERED);
  ASSERT_TRUE(rx_.waitForRequests(1, 5000));
  EXPECT_EQ(rx_.requests()[0].body, kNotification);
  EXPECT_EQ(rx_.requests()[0].header("content-type"), "application/json");
}

} // namespace preview_test
} // namespace bambuddy::notifier_webhook::test
