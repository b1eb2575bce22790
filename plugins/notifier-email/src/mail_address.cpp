#include "mail_address.h"

#include "text/rfc2047.h"
#include "text/utf8.h"

#include <algorithm>
#include <arpa/inet.h>
#include <stdexcept>

namespace bambuddy::notifier_email {

namespace text = common::text;
namespace {

bool isAtext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

std::optional<std::string> localPartProblem(const std::string& local) {
  if (local.empty()) {
    return std::string("has an empty local part before '@'");
  }
  if (local.size() > 64) {
    return "local part is " + std::to_string(local.size()) + " characters long; the limit is 64";
  }
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string::npos) {
    return "local part '" + local + "' has an empty dot-separated part";
  }
  for (char c : local) {
    if (c != '.' && !isAtext(c)) {
      return "local part '" + text::utf8Snippet(local, 64) + "' contains a character that needs quoting";
    }
  }
  return std::nullopt;
}

std::optional<std::string> domainProblem(const std::string& domain) {
  if (domain.empty()) {
    return std::string("has an empty domain after '@'");
  }
  if (domain.front() == '[' && domain.back() == ']') {
    std::string ip = domain.substr(1, domain.size() - 2);
    unsigned char buf[16];
    bool v6 = ip.rfind("IPv6:", 0) == 0 && inet_pton(AF_INET6, ip.substr(5).c_str(), buf) == 1;
    if (v6 || inet_pton(AF_INET, ip.c_str(), buf) == 1) {
      return std::nullopt;
    }
    return "domain literal " + domain + " is not an IPv4 address or IPv6:address";
  }
  if (domain.size() > 253) {
    return "domain is " + std::to_string(domain.size()) + " characters long; the limit is 253";
  }
  size_t start = 0;
  while (start <= domain.size()) {
    size_t dot = domain.find('.', start);
    std::string label = domain.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool ok = !label.empty() && label.size() <= 63 && label.front() != '-' && label.back() != '-' &&
              std::all_of(label.begin(), label.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
              });
    if (!ok) {
      return "domain '" + text::utf8Snippet(domain, 253) +
             "' is not a host name (letters, digits and '-' in dot-separated labels)";
    }
    if (dot == std::string::npos) {
      break;
    }
    start = dot + 1;
  }
  return std::nullopt;
}

std::string trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) {
    return "";
  }
  size_t end = text.find_last_not_of(" \t");
  return text.substr(begin, end - begin + 1);
}

} // namespace

std::optional<std::string> addressProblem(const std::string& address) {
  if (address.empty()) {
    return std::string("is empty");
  }
  if (address.size() > 254) {
    return "is " + std::to_string(address.size()) + " characters long; the limit is 254";
  }
  size_t at = address.rfind('@');
  if (at == std::string::npos) {
    return std::string("has no '@'");
  }
  if (auto p = localPartProblem(address.substr(0, at))) {
    return p;
  }
  return domainProblem(address.substr(at + 1));
}

Mailbox parseMailbox(const std::string& text) {
  Mailbox m;
  std::string t = trim(text);
  size_t open = t.find('<');
  if (open != std::string::npos) {
    if (t.back() != '>' || t.find('<', open + 1) != std::string::npos) {
      throw std::invalid_argument("must be an address or 'Display Name <address>'");
    }
    m.display_name = trim(t.substr(0, open));
    if (m.display_name.size() >= 2 && m.display_name.front() == '"' && m.display_name.back() == '"') {
      m.display_name = m.display_name.substr(1, m.display_name.size() - 2);
    }
    for (char c : m.display_name) {
      unsigned char u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7F || c == '"' || c == '\\') {
        throw std::invalid_argument("display name may not contain control characters, '\"' or '\\'");
      }
    }
    if (!text::isValidUtf8(m.display_name)) {
      throw std::invalid_argument("display name is not valid UTF-8");
    }
    m.address = t.substr(open + 1, t.size() - open - 2);
  } else {
    m.address = t;
  }
  if (auto problem = addressProblem(m.address)) {
    throw std::invalid_argument("address " + *problem);
  }
  return m;
}

std::string mailboxHeader(const Mailbox& mailbox) {
  if (mailbox.display_name.empty()) {
    return mailbox.address;
  }
  std::string name = text::isAscii(mailbox.display_name)
                         ? "\"" + mailbox.display_name + "\""
                         : text::headerText(mailbox.display_name, "\r\n ", std::string("From: ").size());
  return name + " <" + mailbox.address + ">";
}

} // namespace bambuddy::notifier_email
