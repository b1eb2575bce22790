// The RFC 5322 message builder, checked line by line.
#include "mail_address.h"
#include "mime_message.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <sstream>
#include <stdexcept>
#include <vector>

namespace bambuddy::notifier_email {
namespace message_test {

std::vector<std::string> lines(const std::string& crlf_text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= crlf_text.size()) {
    size_t end = crlf_text.find("\r\n", pos);
    if (end == std::string::npos) {
      out.push_back(crlf_text.substr(pos));
      break;
    }
    out.push_back(crlf_text.substr(pos, end - pos));
    pos = end + 2;
  }
  return out;
}

// Quoted-printable decoding written for the test (RFC 2045 6.7), independent of the encoder.
std::string decodeQp(const std::string& qp) {
  std::string out;
  for (size_t i = 0; i < qp.size(); ++i) {
    if (qp[i] == '=' && i + 2 < qp.size() && qp[i + 1] == '\r' && qp[i + 2] == '\n') {
      i += 2; // soft line break
    } else if (qp[i] == '=' && i + 2 < qp.size()) {
      out += static_cast<char>(std::stoi(qp.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += qp[i];
    }
  }
  return out;
}

MailContent sample() {
  MailContent c;
  c.from = parseMailbox("Bambuddy Farm <farm@bambuddy.example>");
  c.to = {"alice@example.com", "bob@example.org"};
  c.subject = "Print finished: benchy.3mf on Workshop X1C";
  c.body = "benchy.3mf finished.\nFilament: 45.2 g.\n";
  c.message_id = messageIdFor("evt_01HMZ3", "bambuddy.example");
  c.date_ms = 1705329000000;
  c.event = "print_complete";
  return c;
}

TEST(MimeMessage, AsciiMessageHeadersAndBody) {
  std::string m = buildMessage(sample());
  EXPECT_EQ(m, "Date: Mon, 15 Jan 2024 14:30:00 +0000\r\n"
               "Message-ID: <evt_01HMZ3@bambuddy.example>\r\n"
               "From: \"Bambuddy Farm\" <farm@bambuddy.example>\r\n"
               "To: alice@example.com,\r\n bob@example.org\r\n"
               "Subject: Print finished: benchy.3mf on Workshop X1C\r\n"
               "MIME-Version: 1.0\r\n"
               "Content-Type: text/plain; charset=utf-8\r\n"
               "Content-Transfer-Encoding: 7bit\r\n"
               "Auto-Submitted: auto-generated\r\n"
               "X-Bambuddy-Event: print_complete\r\n"
               "\r\n"
               "benchy.3mf finished.\r\nFilament: 45.2 g.\r\n");
}

TEST(MimeMessage, NonAsciiSubjectNameAndBody) {
  MailContent c = sample();
  c.from = parseMailbox("B\xC3\xA4mbuddy <farm@bambuddy.example>");
  c.subject = "Druck fertig: W\xC3\xBCrfel \xF0\x9F\x8E\x89 " + std::string(80, 'x') + "\r\nBcc: evil@x";
  c.body = "Gr\xC3\xBC\xC3\x9F"
           "e = Hallo\r\n" +
           std::string(100, 'a') + " \n";
  std::string m = buildMessage(c);
  std::vector<std::string> all = lines(m);
  for (const std::string& line : all) {
    EXPECT_LE(line.size(), 78u) << line; // every line folded (RFC 5322 recommends 78)
    EXPECT_NE(line.rfind("Bcc:", 0), 0u) << "header injected";
  }
  EXPECT_NE(m.find("From: =?UTF-8?B?QsOkbWJ1ZGR5?= <farm@bambuddy.example>\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("Subject: =?UTF-8?B?"), std::string::npos);
  EXPECT_NE(m.find("Content-Transfer-Encoding: quoted-printable\r\n"), std::string::npos);
  std::string body = m.substr(m.find("\r\n\r\n") + 4);
  EXPECT_EQ(decodeQp(body), "Gr\xC3\xBC\xC3\x9F"
                            "e = Hallo\r\n" +
                                std::string(100, 'a') + " \r\n");
  for (const std::string& line : lines(body)) {
    EXPECT_LE(line.size(), 76u) << line;
    EXPECT_TRUE(line.empty() || (line.back() != ' ' && line.back() != '\t')) << "trailing space: " << line;
  }
}

TEST(MimeMessage, LongAsciiLinesUseQuotedPrintable) {
  MailContent c = sample();
  c.body = std::string(1200, 'z');
  std::string m = buildMessage(c);
  EXPECT_NE(m.find("Content-Transfer-Encoding: quoted-printable"), std::string::npos);
  EXPECT_EQ(decodeQp(m.substr(m.find("\r\n\r\n") + 4)), std::string(1200, 'z') + "\r\n");
}

TEST(MimeMessage, LineEndsAndIds) {
  EXPECT_EQ(normalizeLineEnds("a\nb\r\nc\rd"), "a\r\nb\r\nc\r\nd");
  EXPECT_EQ(messageIdFor("evt_1", "x.example"), "evt_1@x.example");
  EXPECT_EQ(messageIdFor("evt 1<>@", "x.example"), "evt_1___@x.example");
  EXPECT_EQ(messageIdFor("...", "x.example"), "bambuddy@x.example");
  EXPECT_EQ(quotedPrintable("a=b\r\n\t"), "a=3Db\r\n=09");
}

TEST(MailAddress, ParsesMailboxes) {
  Mailbox a = parseMailbox("  farm@example.com ");
  EXPECT_EQ(a.address, "farm@example.com");
  EXPECT_EQ(a.display_name, "");
  EXPECT_EQ(a.domain(), "example.com");
  EXPECT_EQ(mailboxHeader(a), "farm@example.com");
  Mailbox b = parseMailbox("\"Print Farm\" <ops+alerts@print.example.co>");
  EXPECT_EQ(b.display_name, "Print Farm");
  EXPECT_EQ(b.address, "ops+alerts@print.example.co");
  EXPECT_EQ(mailboxHeader(b), "\"Print Farm\" <ops+alerts@print.example.co>");
  EXPECT_FALSE(addressProblem("o'brien@example.com").has_value());
  EXPECT_EQ(addressProblem("a@b_c.example"),
            "domain 'b_c.example' is not a host name (letters, digits and '-' in dot-separated labels)");
  EXPECT_EQ(addressProblem(std::string(65, 'a') + "@x.example"),
            "local part is 65 characters long; the limit is 64");
  EXPECT_EQ(addressProblem("a@[300.1.1.1]"),
            "domain literal [300.1.1.1] is not an IPv4 address or IPv6:address");
  EXPECT_THROW(parseMailbox("<>"), std::invalid_argument);
}

} // namespace message_test
} // namespace bambuddy::notifier_email
