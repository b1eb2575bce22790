// preview(): the subject and text send() would mail, from the same builder, without the SMTP
// login and without connecting anywhere.
#include "email_test_util.h"

namespace bambuddy::notifier_email::test {
namespace preview_test {

TEST_F(EmailTest, PreviewDescribesTheMailWithoutConnecting) {
  json s = plain(1); // nothing listens on port 1: a connection attempt would fail the preview
  s["username"] = "farm";
  s["password"] = "SECRETpassword";
  s["starttls"] = "required";
  auto mail = create(s);
  bambuddy::testing::PreviewOutcome p = mail->preview(notification("print_complete", kCompleteData));
  ASSERT_EQ(p.rc, BB_OK) << p.reason << ": " << p.message;
  json expected = {{"title", "Print finished: benchy.3mf on Workshop X1C"},
                   {"message",
                    "benchy.3mf finished on Workshop X1C after 2h 15m, using 45.2 g of filament.\n\n-- \n"
                    "Sent by Bambuddy for the event print_complete at 2024-01-15T14:30:00Z.\n"},
                   {"from", "Bambuddy Farm <farm@bambuddy.example>"},
                   {"to", {"alice@example.com", "bob@example.org"}}};
  EXPECT_EQ(json::parse(p.json), expected) << p.json;
  EXPECT_EQ(p.json.find("SECRET"), std::string::npos);
}

TEST_F(EmailTest, PreviewMatchesTheMailSent) {
  auto sink = startSink();
  json s = plain(sink->port());
  s["templates"] = {
      {"print_failed", {{"subject", "\xE2\x9D\x8C {{filename}}\nfailed"}, {"body", "{{reason}}"}}}};
  auto mail = create(s);
  const std::string body = notification("print_failed", {{"filename", "a.3mf"}, {"reason", "clog"}});
  json described = json::parse(mail->preview(body).json);
  ASSERT_EQ(send(*mail, body).result.outcome, BB_DELIVERY_DELIVERED) << sink->log();
  ASSERT_TRUE(sink->waitForMessages(1, 5000));
  testing::ReceivedMail m = sink->messages()[0];
  EXPECT_EQ(described["title"], "\xE2\x9D\x8C a.3mf failed");
  EXPECT_EQ(described["title"], m.parsed["subject"]);
  EXPECT_EQ(described["message"], "clog");
  EXPECT_EQ(m.parsed["body"], "clog\r\n");
}

TEST_F(EmailTest, BrokenTemplateOrNotificationIsInvalidArgument) {
  json s = plain(1);
  s["templates"] = {{"print_complete", {{"subject", "{{filename"}}}};
  EXPECT_NE(refusal(s).find("/templates/print_complete/subject"), std::string::npos);
  auto mail = create(plain(1));
  bambuddy::testing::PreviewOutcome p = mail->preview("{}");
  EXPECT_EQ(p.rc, BB_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(p.reason, "invalid_notification");
}

} // namespace preview_test
} // namespace bambuddy::notifier_email::test
