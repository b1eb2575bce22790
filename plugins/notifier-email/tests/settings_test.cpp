// Bad settings are refused at creation with a message naming the field.
#include "email_test_util.h"

namespace bambuddy::notifier_email::test {
namespace settings_test {

const std::string P = "notifier.email settings: ";

json valid() {
  return json{
      {"smtp_url", "smtp://mail.example.com:587"}, {"from", "farm@example.com"}, {"to", {"a@example.com"}}};
}

TEST_F(EmailTest, ServerUrl) {
  json s = valid();
  s.erase("smtp_url");
  EXPECT_EQ(refusal(s), P + "/smtp_url is required");
  s["smtp_url"] = "http://mail.example.com";
  EXPECT_EQ(refusal(s), P + "/smtp_url scheme 'http' is not allowed (use smtp or smtps)");
  s["smtp_url"] = "mail.example.com:587";
  EXPECT_EQ(refusal(s).rfind(P + "/smtp_url ", 0), 0u);
  s["smtp_url"] = "smtp://mail.example.com:587/relay";
  EXPECT_EQ(refusal(s),
            P + "/smtp_url must be only scheme, host and port (e.g. smtp://mail.example.com:587)");
  s["smtp_url"] = "smtp://user:pw@mail.example.com";
  EXPECT_EQ(refusal(s), P + "/smtp_url must not contain credentials: use /username and /password");
  s["smtp_url"] = "smtps://mail.example.com";
  EXPECT_NO_THROW(create(s));
  EXPECT_TRUE(host_.logged("e-mail via smtps://mail.example.com:465 (implicit TLS) to 1 recipient(s)"));
}

TEST_F(EmailTest, TlsAndCredentials) {
  json s = valid();
  s["starttls"] = "optional";
  EXPECT_EQ(refusal(s), P + "/starttls must be \"required\" or \"none\", got \"optional\"");
  s["starttls"] = "required";
  s["password"] = "hunter2-very-secret";
  std::string m = refusal(s);
  EXPECT_EQ(m, P + "/password is set but /username is not");
  EXPECT_EQ(m.find("hunter2"), std::string::npos);
  s.erase("password");
  s["username"] = "farm";
  EXPECT_EQ(refusal(s), P + "/username is set but /password is not");
  s["password"] = "pw\nx";
  EXPECT_EQ(refusal(s), P + "/password must be 1 to 1024 bytes without control characters");
  s["password"] = "hunter2";
  s["tls_verify"] = "yes";
  EXPECT_EQ(refusal(s), P + "/tls_verify must be a boolean, got string");
  s["tls_verify"] = false;
  s["ca_file"] = tmp_.path() + "/missing.pem";
  EXPECT_EQ(refusal(s), P + "/ca_file '" + tmp_.path() + "/missing.pem' cannot be read by the server");
  s["ca_file"] = tmp_.write("ca.pem", "x");
  EXPECT_NO_THROW(create(s));
  EXPECT_TRUE(host_.logged("(STARTTLS required, certificate NOT verified)"));
}

TEST_F(EmailTest, PasswordOverPlainSmtpIsWarnedAbout) {
  json s = valid();
  s["starttls"] = "none";
  s["username"] = "farm";
  s["password"] = "pw-in-the-clear";
  auto mail = create(s);
  EXPECT_TRUE(host_.logged("the SMTP password will cross the network unencrypted"));
  for (const auto& line : host_.logs()) {
    EXPECT_EQ(line.message.find("pw-in-the-clear"), std::string::npos) << line.message;
  }
}

TEST_F(EmailTest, Addresses) {
  json s = valid();
  s["from"] = "not an address";
  EXPECT_EQ(refusal(s), P + "/from address has no '@'");
  s["from"] = "Farm <farm@example.com";
  EXPECT_EQ(refusal(s), P + "/from must be an address or 'Display Name <address>'");
  s["from"] = "Fa\"rm <farm@example.com>";
  EXPECT_EQ(refusal(s), P + "/from display name may not contain control characters, '\"' or '\\'");
  s["from"] = "farm@-bad-.example";
  EXPECT_EQ(refusal(s),
            P + "/from address domain '-bad-.example' is not a host name (letters, digits and '-' in "
                "dot-separated labels)");
  s["from"] = "B\xC3\xA4mbuddy <farm@example.com>";
  EXPECT_NO_THROW(create(s));

  s["to"] = json::array();
  EXPECT_EQ(refusal(s), P + "/to must be a non-empty array of addresses");
  s["to"] = "a@example.com";
  EXPECT_EQ(refusal(s), P + "/to must be a non-empty array of addresses");
  s["to"] = {"a@example.com", "b..c@example.com"};
  EXPECT_EQ(refusal(s), P + "/to/1 address local part 'b..c' has an empty dot-separated part");
  s["to"] = {"a@example.com", "Bob <b@example.com>"};
  EXPECT_EQ(refusal(s), P + "/to/1 address local part 'Bob <b' contains a character that needs quoting");
  s["to"] = {"@example.com"};
  EXPECT_EQ(refusal(s), P + "/to/0 address has an empty local part before '@'");
  s["to"] = {"ops@[127.0.0.1]", "x@[IPv6:::1]"};
  EXPECT_NO_THROW(create(s));
  json many = json::array();
  for (int i = 0; i < 51; ++i) {
    many.push_back("u" + std::to_string(i) + "@example.com");
  }
  s["to"] = many;
  EXPECT_EQ(refusal(s), P + "/to has 51 addresses; the limit is 50");
}

TEST_F(EmailTest, TemplatesTimeoutAndUnknownKeys) {
  json s = valid();
  s["templates"] = {{"print_complete", {{"title", "x"}}}};
  EXPECT_EQ(refusal(s), P + "/templates/print_complete: unknown field 'title' (allowed: subject, body)");
  s["templates"] = {{"print_complete", {{"subject", "Done {{filename"}}}};
  EXPECT_EQ(refusal(s), P + "/templates/print_complete/subject: unclosed '{{' at offset 5");
  s["templates"] = {{"*", {{"body", "{{event}}"}}}};
  EXPECT_NO_THROW(create(s));
  s["timeout_ms"] = 200000;
  EXPECT_EQ(refusal(s), P + "/timeout_ms must be an integer from 100 to 120000, got 200000");
  s.erase("timeout_ms");
  s["cc"] = {"x@example.com"};
  EXPECT_EQ(refusal(s), P + "unknown property /cc (allowed: smtp_url, starttls, username, password, ca_file, "
                            "tls_verify, from, to, templates, timeout_ms)");
  EXPECT_EQ(
      refusal(valid(), {{"deny_cidrs", {"x"}}}, "invalid_config"),
      "notifier.email config: /deny_cidrs/0: 'x' is not a valid CIDR ('x' is not an IPv4 or IPv6 address)");
}

} // namespace settings_test
} // namespace bambuddy::notifier_email::test
