// E-mail addresses as the e-mail notifier accepts them: plain ASCII addr-spec (local@domain, RFC
// 5321/5322 dot-atom local part, a host name or [IP literal] domain), optionally with a display
// name for the sender ("Bambuddy <farm@example.com>").
#pragma once

#include <optional>
#include <string>

namespace bambuddy::notifier_email {

struct Mailbox {
  std::string display_name; // UTF-8, may be empty
  std::string address;      // local@domain
  std::string domain() const { return address.substr(address.rfind('@') + 1); }
};

// nullopt when `address` is a valid addr-spec, else why not (e.g. "has no '@'", "local part
// 'a..b' has an empty dot-separated part").
std::optional<std::string> addressProblem(const std::string& address);

// Parses "local@domain" or "Display Name <local@domain>". Throws std::invalid_argument with the
// problem.
Mailbox parseMailbox(const std::string& text);

// The mailbox as a header value: the display name quoted (or RFC 2047 encoded when not ASCII),
// then <address>; the bare address when there is no name.
std::string mailboxHeader(const Mailbox& mailbox);

} // namespace bambuddy::notifier_email
