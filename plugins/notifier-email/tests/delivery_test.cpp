// Deliveries to a real SMTP server (aiosmtpd): plain, STARTTLS, implicit TLS and AUTH, the message
// as received (read back by Python's own e-mail parser too), and how SMTP replies map to outcomes.
#include "email_test_util.h"

#include "support/http_receiver.h"

#include <chrono>

namespace bambuddy::notifier_email::test {
namespace delivery_test {

using testing::ReceivedMail;

TEST_F(EmailTest, PlainModeDeliversAWellFormedMessage) {
  auto sink = startSink();
  auto mail = create(plain(sink->port()));
  SendOutcome out = send(*mail, notification("print_complete", kCompleteData, "evt_01HMZ3V9X2"));
  ASSERT_EQ(out.rc, BB_OK) << out.message;
  ASSERT_EQ(out.result.outcome, BB_DELIVERY_DELIVERED) << out.error() << "\n" << sink->log();
  EXPECT_EQ(out.result.http_status, 0);
  EXPECT_EQ(out.snippet(), "250 2.0.0 Message accepted for delivery");
  ASSERT_TRUE(sink->waitForMessages(1, 5000));
  ReceivedMail m = sink->messages()[0];
  EXPECT_EQ(m.mail_from, "farm@bambuddy.example");
  EXPECT_EQ(m.rcpt_tos, (std::vector<std::string>{"alice@example.com", "bob@example.org"}));
  EXPECT_FALSE(m.tls);
  // The head as received.
  EXPECT_EQ(m.header("Date"), "Mon, 15 Jan 2024 14:30:00 +0000");
  EXPECT_EQ(m.header("Message-ID"), "<evt_01HMZ3V9X2@bambuddy.example>");
  EXPECT_EQ(m.header("From"), "\"Bambuddy Farm\" <farm@bambuddy.example>");
  EXPECT_EQ(m.header("To"), "alice@example.com, bob@example.org");
  EXPECT_EQ(m.header("Subject"), "Print finished: benchy.3mf on Workshop X1C");
  EXPECT_EQ(m.header("MIME-Version"), "1.0");
  EXPECT_EQ(m.header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(m.header("Content-Transfer-Encoding"), "7bit");
  EXPECT_EQ(m.header("X-Bambuddy-Event"), "print_complete");
  EXPECT_EQ(m.body(),
            "benchy.3mf finished on Workshop X1C after 2h 15m, using 45.2 g of filament.\r\n\r\n-- \r\n"
            "Sent by Bambuddy for the event print_complete at 2024-01-15T14:30:00Z.\r\n");
  // Python's parser agrees and finds no defects.
  EXPECT_EQ(m.parsed["defects"], json::array()) << m.parsed.dump();
  EXPECT_EQ(m.parsed["subject"], "Print finished: benchy.3mf on Workshop X1C");
  EXPECT_EQ(m.parsed["date_utc"], "2024-01-15T14:30:00+00:00");
  EXPECT_EQ(m.parsed["message-id"], "<evt_01HMZ3V9X2@bambuddy.example>");
  EXPECT_EQ(m.parsed["from"], "Bambuddy Farm <farm@bambuddy.example>");
  EXPECT_EQ(m.parsed["content_type"], "text/plain");
  EXPECT_EQ(m.parsed["charset"], "utf-8");
}

TEST_F(EmailTest, NonAsciiSubjectAndBodyReadBackIntact) {
  auto sink = startSink();
  json s = plain(sink->port());
  s["from"] = "B\xC3\xA4mbuddy <farm@bambuddy.example>";
  s["templates"] = {{"print_failed",
                     {{"subject", "\xE2\x9D\x8C Druck fehlgeschlagen: {{filename}}"},
                      {"body", "Drucker {{printer}} meldet: {{reason}}\n.\n.leading dot"}}}};
  auto mail = create(s);
  json data = {
      {"printer", "Werkstatt"}, {"filename", "W\xC3\xBCrfel.3mf"}, {"reason", "D\xC3\xBCse verstopft"}};
  ASSERT_EQ(send(*mail, notification("print_failed", data)).result.outcome, BB_DELIVERY_DELIVERED)
      << sink->log();
  ASSERT_TRUE(sink->waitForMessages(1, 5000));
  ReceivedMail m = sink->messages()[0];
  EXPECT_EQ(m.header("Subject").rfind("=?UTF-8?B?", 0), 0u) << m.header("Subject");
  EXPECT_EQ(m.header("Content-Transfer-Encoding"), "quoted-printable");
  EXPECT_EQ(m.parsed["defects"], json::array()) << m.parsed.dump();
  EXPECT_EQ(m.parsed["subject"], "\xE2\x9D\x8C Druck fehlgeschlagen: W\xC3\xBCrfel.3mf");
  EXPECT_EQ(m.parsed["from"], "B\xC3\xA4mbuddy <farm@bambuddy.example>");
  // Lines that are only a dot, or start with one, survive SMTP (curl dot-stuffs, the server unstuffs).
  EXPECT_EQ(m.parsed["body"], "Drucker Werkstatt meldet: D\xC3\xBCse verstopft\r\n.\r\n.leading dot\r\n");
}

TEST_F(EmailTest, StartTlsRequiredVerifiesTheServerWithCaFile) {
  testing::SmtpSinkOptions o = tlsOptions();
  o.require_starttls = true;
  auto sink = startSink(o);
  json s = plain(sink->port());
  s["starttls"] = "required";
  s["ca_file"] = cert().cert_path;
  auto mail = create(s);
  SendOutcome out = send(*mail, notification("test", json::object()));
  ASSERT_EQ(out.result.outcome, BB_DELIVERY_DELIVERED) << out.error() << "\n" << sink->log();
  ASSERT_TRUE(sink->waitForMessages(1, 5000));
  ReceivedMail m = sink->messages()[0];
  EXPECT_TRUE(m.tls);
  EXPECT_EQ(m.header("Subject"), "Bambuddy test notification");
  EXPECT_EQ(m.parsed["defects"], json::array());
}

TEST_F(EmailTest, CertificateVerificationIsOnByDefault) {
  auto sink = startSink(tlsOptions());
  json s = plain(sink->port());
  s["starttls"] = "required"; // no ca_file: the self-signed certificate is not trusted
  auto strict = create(s);
  SendOutcome out = send(*strict, notification("test", json::object()));
  EXPECT_NE(out.result.outcome, BB_DELIVERY_DELIVERED);
  EXPECT_NE(out.error().find("certificate"), std::string::npos) << out.error();
  EXPECT_EQ(sink->messages().size(), 0u);

  s["tls_verify"] = false; // explicitly off: delivered, still encrypted
  auto lax = create(s);
  ASSERT_EQ(send(*lax, notification("test", json::object())).result.outcome, BB_DELIVERY_DELIVERED);
  ASSERT_TRUE(sink->waitForMessages(1, 5000));
  EXPECT_TRUE(sink->messages()[0].tls);
}

TEST_F(EmailTest, StartTlsRequiredRefusesAServerWithoutIt) {
  auto sink = startSink(); // no TLS offered
  json s = plain(sink->port());
  s["starttls"] = "required";
  auto mail = create(s);
  SendOutcome out = send(*mail, notification("test", json::object()));
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(out.error().rfind("the SMTP server does not offer STARTTLS, and starttls is \"required\"", 0), 0u)
      << out.error();
  EXPECT_EQ(sink->messages().size(), 0u);
}

TEST_F(EmailTest, PlainModeAgainstAServerRequiringStartTlsIsPermanent) {
  testing::SmtpSinkOptions o = tlsOptions();
  o.require_starttls = true;
  auto sink = startSink(o);
  auto mail = create(plain(sink->port()));
  SendOutcome out = send(*mail, notification("test", json::object()));
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(out.error().rfind("SMTP server answered 530", 0), 0u) << out.error();
}

TEST_F(EmailTest, ImplicitTls) {
  testing::SmtpSinkOptions o = tlsOptions();
  o.implicit_tls = true;
  auto sink = startSink(o);
  json s = plain(sink->port());
  s["smtp_url"] = "smtps://127.0.0.1:" + std::to_string(sink->port());
  s["ca_file"] = cert().cert_path;
  s.erase("starttls");
  auto mail = create(s);
  ASSERT_EQ(send(*mail, notification("test", json::object())).result.outcome, BB_DELIVERY_DELIVERED)
      << sink->log();
  ASSERT_TRUE(sink->waitForMessages(1, 5000));
  EXPECT_TRUE(sink->messages()[0].tls);
}

TEST_F(EmailTest, AuthOverStartTls) {
  testing::SmtpSinkOptions o = tlsOptions();
  o.auth_user = "farm";
  o.auth_password = "correct horse";
  auto sink = startSink(o);
  json s = plain(sink->port());
  s["starttls"] = "required";
  s["ca_file"] = cert().cert_path;
  s["username"] = "farm";
  s["password"] = "correct horse";
  auto good = create(s);
  ASSERT_EQ(send(*good, notification("test", json::object())).result.outcome, BB_DELIVERY_DELIVERED)
      << sink->log();
  ASSERT_TRUE(sink->waitForMessages(1, 5000));
  EXPECT_EQ(sink->messages()[0].auth_user, "farm");

  s["password"] = "wrong battery";
  auto bad = create(s);
  SendOutcome out = send(*bad, notification("test", json::object()));
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(out.error().rfind("SMTP server answered 535", 0), 0u) << out.error();
  EXPECT_EQ(out.error().find("wrong battery"), std::string::npos);
  EXPECT_EQ(std::string(out.result.response_snippet).find("wrong battery"), std::string::npos);
  EXPECT_EQ(sink->messages().size(), 1u);
  for (const auto& line : host_.logs()) {
    EXPECT_EQ(line.message.find("battery"), std::string::npos) << line.message;
    EXPECT_EQ(line.message.find("horse"), std::string::npos) << line.message;
  }
}

TEST_F(EmailTest, SmtpReplyCodesMapToOutcomes) {
  testing::SmtpSinkOptions o;
  o.reject_rcpt = {{"busy@example.com", "450 4.2.1 Mailbox busy, try later"},
                   {"nobody@example.com", "550 5.1.1 No such user"}};
  auto sink = startSink(o);
  json s = plain(sink->port());
  s["to"] = {"busy@example.com"};
  auto busy = create(s);
  SendOutcome a = send(*busy, notification("test", json::object()));
  EXPECT_EQ(a.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_EQ(a.error(), "SMTP server answered 450 4.2.1 Mailbox busy, try later");
  EXPECT_EQ(a.snippet(), "450 4.2.1 Mailbox busy, try later");
  s["to"] = {"alice@example.com", "nobody@example.com"};
  auto nobody = create(s);
  SendOutcome b = send(*nobody, notification("test", json::object()));
  EXPECT_EQ(b.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(b.error(), "SMTP server answered 550 5.1.1 No such user");
  EXPECT_EQ(sink->messages().size(), 0u);
}

TEST_F(EmailTest, DataRepliesMapToOutcomes) {
  testing::SmtpSinkOptions later;
  later.data_reply = "451 4.3.0 Temporary local problem";
  auto a = startSink(later);
  auto m1 = create(plain(a->port()));
  SendOutcome r1 = send(*m1, notification("test", json::object()));
  EXPECT_EQ(r1.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_EQ(r1.error(), "SMTP server answered 451 4.3.0 Temporary local problem");
  testing::SmtpSinkOptions never;
  never.data_reply = "554 5.6.0 Message rejected as spam";
  auto b = startSink(never);
  auto m2 = create(plain(b->port()));
  SendOutcome r2 = send(*m2, notification("test", json::object()));
  EXPECT_EQ(r2.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(r2.error(), "SMTP server answered 554 5.6.0 Message rejected as spam");
}

TEST_F(EmailTest, UnreachableSilentAndRefusedServers) {
  // Nothing listening: retry later.
  testing::HttpReceiver placeholder;
  uint16_t closed_port = placeholder.port();
  placeholder.stop();
  auto down = create(plain(closed_port));
  SendOutcome a = send(*down, notification("test", json::object()));
  EXPECT_EQ(a.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_FALSE(a.error().empty());

  // A server that accepts but never greets: timed out before the deadline, retry later.
  testing::HttpReceiver silent; // speaks no SMTP: it waits for an HTTP request that never comes
  auto quiet = create(plain(silent.port()));
  auto start = std::chrono::steady_clock::now();
  SendOutcome b = send(*quiet, notification("test", json::object()), 400);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  EXPECT_EQ(b.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_EQ(b.error().rfind("no complete SMTP exchange within 400 ms (timed out)", 0), 0u) << b.error();
  EXPECT_LT(took.count(), 1500);

  // The SSRF guard applies to SMTP servers too.
  auto sink = startSink();
  auto denied = create(plain(sink->port()), {{"deny_cidrs", {"127.0.0.0/8"}}});
  SendOutcome c = send(*denied, notification("test", json::object()));
  EXPECT_EQ(c.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(c.error(),
            "target address 127.0.0.1 is refused by the SSRF guard (deny_cidrs entry 127.0.0.0/8)");
  auto metadata =
      create({{"smtp_url", "smtp://169.254.169.254"}, {"from", "a@b.example"}, {"to", {"c@d.example"}}});
  EXPECT_EQ(send(*metadata, notification("test", json::object())).error(),
            "target address 169.254.169.254 is refused by the SSRF guard (cloud metadata)");
  EXPECT_EQ(sink->messages().size(), 0u);
}

TEST_F(EmailTest, SameNotificationKeepsItsMessageIdAndDateFollowsTheClock) {
  auto sink = startSink();
  auto mail = create(plain(sink->port()));
  const std::string n = notification("test", json::object(), "evt_retry_me");
  ASSERT_EQ(send(*mail, n).result.outcome, BB_DELIVERY_DELIVERED);
  host_.setNowMs(kNowMs + 90061000); // one day, one hour, one minute and one second later
  SendOutcome again;
  again.result.struct_size = sizeof again.result;
  bb_error err = sdk::detail::makeError();
  mail->ops<bb_notifier_ops>()->send(mail->self(), n.data(), n.size(), kNowMs + 90061000 + 15000,
                                     &again.result, &err);
  ASSERT_EQ(again.result.outcome, BB_DELIVERY_DELIVERED) << again.result.error;
  ASSERT_TRUE(sink->waitForMessages(2, 5000));
  auto msgs = sink->messages();
  EXPECT_EQ(msgs[0].header("Message-ID"), "<evt_retry_me@bambuddy.example>");
  EXPECT_EQ(msgs[1].header("Message-ID"), "<evt_retry_me@bambuddy.example>");
  EXPECT_EQ(msgs[1].header("Date"), "Tue, 16 Jan 2024 15:31:01 +0000");
}

} // namespace delivery_test
} // namespace bambuddy::notifier_email::test
