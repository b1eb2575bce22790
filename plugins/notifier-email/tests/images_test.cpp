// sendWithAttachments(): the same mail as multipart/mixed, the text part first and each image as a
// base64 attachment, read back from a real SMTP server; without images the mail is unchanged.
#include "email_test_util.h"

#include "support/http_receiver.h"

#include <openssl/evp.h>

namespace bambuddy::notifier_email::test {
namespace images_test {

using bambuddy::testing::MultipartPart;
using bambuddy::testing::TestAttachment;

const std::string kPng =
    std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) + "=_bambuddy_\r\n.\r\n" + std::string(700, '\xC0');

// Base64 with line breaks, decoded by OpenSSL (independent of the plugin's encoder).
std::string decodeBase64Lines(const std::string& text) {
  std::string b64;
  for (char c : text) {
    if (c != '\r' && c != '\n') {
      b64 += c;
    }
  }
  std::string bytes(b64.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  size_t pad =
      b64.size() >= 2 && b64[b64.size() - 2] == '=' ? 2 : (!b64.empty() && b64.back() == '=' ? 1 : 0);
  return n < 0 ? "" : bytes.substr(0, static_cast<size_t>(n) - pad);
}

TEST_F(EmailTest, ImageIsAttachedAfterTheText) {
  auto sink = startSink();
  auto mail = create(plain(sink->port()));
  TestAttachment image;
  image.data = kPng;
  SendOutcome out = mail->sendWithAttachments(notification("print_complete", kCompleteData, "evt_01HMZ3V9X2"),
                                              {image}, kNowMs + 15000);
  ASSERT_EQ(out.result.outcome, BB_DELIVERY_DELIVERED) << out.error() << "\n" << sink->log();
  ASSERT_TRUE(sink->waitForMessages(1, 5000));
  testing::ReceivedMail m = sink->messages()[0];
  EXPECT_EQ(m.header("Subject"), "Print finished: benchy.3mf on Workshop X1C");
  EXPECT_EQ(m.header("Message-ID"), "<evt_01HMZ3V9X2@bambuddy.example>");
  const std::string type = m.header("Content-Type");
  EXPECT_EQ(type, "multipart/mixed; boundary=\"=_bambuddy_evt_01HMZ3V9X2\"");
  EXPECT_EQ(m.header("Content-Transfer-Encoding"), "");
  EXPECT_EQ(m.parsed["content_type"], "multipart/mixed");
  EXPECT_EQ(m.parsed["defects"], json::array()) << m.parsed.dump();

  std::optional<std::vector<MultipartPart>> parts =
      bambuddy::testing::parseMultipart(m.body(), *bambuddy::testing::headerParameter(type, "boundary"));
  ASSERT_TRUE(parts) << m.body().substr(0, 600);
  ASSERT_EQ(parts->size(), 2u);
  const MultipartPart& text = (*parts)[0];
  EXPECT_EQ(text.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(text.header("content-transfer-encoding"), "7bit");
  EXPECT_EQ(text.body,
            "benchy.3mf finished on Workshop X1C after 2h 15m, using 45.2 g of filament.\r\n\r\n-- \r\n"
            "Sent by Bambuddy for the event print_complete at 2024-01-15T14:30:00Z."); // the CRLF before a
                                                                                       // delimiter is the
                                                                                       // delimiter's
  const MultipartPart& file = (*parts)[1];
  EXPECT_EQ(file.content_type, "image/png");
  EXPECT_EQ(file.header("content-transfer-encoding"), "base64");
  EXPECT_EQ(file.header("content-disposition"), "attachment; filename=\"thumbnail.png\"");
  EXPECT_EQ(file.filename, "thumbnail.png");
  EXPECT_EQ(decodeBase64Lines(file.body), kPng);
  size_t line = 0;
  size_t pos = 0;
  while (pos < file.body.size()) {
    size_t end = std::min(file.body.find("\r\n", pos), file.body.size());
    line = std::max(line, end - pos);
    pos = end + 2;
  }
  EXPECT_LE(line, 76u);
}

TEST_F(EmailTest, TextThatLooksLikeTheBoundaryIsQuotedPrintable) {
  auto sink = startSink();
  json s = plain(sink->port());
  s["templates"] = {{"test", {{"subject", "x"}, {"body", "--=_bambuddy_evt_mail1--"}}}};
  auto mail = create(s);
  TestAttachment image;
  image.data = kPng;
  ASSERT_EQ(
      mail->sendWithAttachments(notification("test", json::object()), {image}, kNowMs + 15000).result.outcome,
      BB_DELIVERY_DELIVERED)
      << sink->log();
  ASSERT_TRUE(sink->waitForMessages(1, 5000));
  testing::ReceivedMail m = sink->messages()[0];
  auto parts = bambuddy::testing::parseMultipart(
      m.body(), *bambuddy::testing::headerParameter(m.header("Content-Type"), "boundary"));
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].header("content-transfer-encoding"), "quoted-printable");
  EXPECT_EQ((*parts)[0].body, "--=3D_bambuddy_evt_mail1--");
}

TEST_F(EmailTest, WithoutImagesTheMailIsUnchanged) {
  auto sink = startSink();
  auto mail = create(plain(sink->port()));
  const std::string body = notification("print_complete", kCompleteData);
  ASSERT_EQ(send(*mail, body).result.outcome, BB_DELIVERY_DELIVERED) << sink->log();
  ASSERT_EQ(mail->sendWithAttachments(body, {}, kNowMs + 15000).result.outcome, BB_DELIVERY_DELIVERED);
  ASSERT_TRUE(sink->waitForMessages(2, 5000));
  auto mails = sink->messages();
  EXPECT_EQ(mails[0].data, mails[1].data);
  EXPECT_EQ(mails[0].header("Content-Type"), "text/plain; charset=utf-8");
}

} // namespace images_test
} // namespace bambuddy::notifier_email::test
