#include "mime_message.h"

#include "text/base64.h"
#include "text/rfc2047.h"
#include "text/utf8.h"

#include <bambuddy/date_time.hpp>

namespace bambuddy::notifier_email {

namespace text = common::text;
namespace {

constexpr size_t kMaxSubjectBytes = 900; // keeps "Subject: " + an ASCII subject under 998 octets
constexpr size_t kMaxBodyBytes = 64 * 1024;

bool needsQuotedPrintable(const std::string& crlf_text) {
  size_t line_length = 0;
  for (size_t i = 0; i < crlf_text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(crlf_text[i]);
    if (c == '\r' && i + 1 < crlf_text.size() && crlf_text[i + 1] == '\n') {
      line_length = 0;
      ++i;
      continue;
    }
    if (c >= 0x80 || c == 0 || c == '\r' || c == '\n' || ++line_length > 998) {
      return true;
    }
  }
  return false;
}

// A part boundary that cannot occur in the parts: "=_" never appears in base64 or in
// quoted-printable text (which writes '=' as "=3D"), and a 7bit text containing it is sent
// quoted-printable instead.
constexpr const char* kBoundaryStart = "=_bambuddy_";

// Base64 in lines of 76 characters (RFC 2045 6.8).
std::string base64Lines(std::string_view data) {
  std::string encoded = text::base64Encode(data);
  std::string out;
  out.reserve(encoded.size() + encoded.size() / 38 + 2);
  for (size_t i = 0; i < encoded.size(); i += 76) {
    out += encoded.substr(i, 76);
    out += "\r\n";
  }
  return out;
}

} // namespace

std::string subjectLine(const MailContent& c) {
  return text::utf8Snippet(text::singleLine(c.subject), kMaxSubjectBytes);
}

std::string bodyText(const MailContent& c) {
  return text::utf8Snippet(c.body, kMaxBodyBytes);
}

std::string normalizeLineEnds(const std::string& text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') {
        ++i;
      }
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string quotedPrintable(const std::string& crlf_text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  size_t line_start = 0;
  while (line_start <= crlf_text.size()) {
    size_t end = crlf_text.find("\r\n", line_start);
    std::string line =
        crlf_text.substr(line_start, end == std::string::npos ? std::string::npos : end - line_start);
    size_t column = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(line[i]);
      bool last = i + 1 == line.size();
      bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
      std::string piece =
          literal ? std::string(1, static_cast<char>(c)) : std::string{'=', kHex[c >> 4], kHex[c & 15]};
      // 76 characters per encoded line, including the '=' of a soft break.
      if (column + piece.size() > 75) {
        out += "=\r\n";
        column = 0;
      }
      out += piece;
      column += piece.size();
    }
    if (end == std::string::npos) {
      break;
    }
    out += "\r\n";
    line_start = end + 2;
  }
  return out;
}

std::string messageIdFor(const std::string& notification_id, const std::string& domain) {
  std::string local;
  for (char c : notification_id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '-' || c == '.';
    local += ok ? c : '_';
  }
  while (!local.empty() && local.front() == '.') {
    local.erase(0, 1);
  }
  while (!local.empty() && local.back() == '.') {
    local.pop_back();
  }
  return (local.empty() ? std::string("bambuddy") : local) + "@" + domain;
}

std::string buildMessage(const MailContent& c) {
  std::string subject = subjectLine(c);
  std::string body = normalizeLineEnds(bodyText(c));
  if (body.size() < 2 || body.compare(body.size() - 2, 2, "\r\n") != 0) {
    body += "\r\n";
  }
  const bool multipart = !c.attachments.empty();
  bool qp = needsQuotedPrintable(body) || (multipart && body.find("=_") != std::string::npos);
  const std::string boundary = kBoundaryStart + c.message_id.substr(0, c.message_id.find('@'));

  std::string to;
  for (const std::string& address : c.to) {
    to += (to.empty() ? "" : ",\r\n ") + address;
  }
  std::string m;
  m += "Date: " + sdk::formatRfc5322Date(c.date_ms) + "\r\n";
  m += "Message-ID: <" + c.message_id + ">\r\n";
  m += "From: " + mailboxHeader(c.from) + "\r\n";
  m += "To: " + to + "\r\n";
  m += "Subject: " + text::headerText(subject, "\r\n ", std::string("Subject: ").size()) + "\r\n";
  m += "MIME-Version: 1.0\r\n";
  const std::string text_head = std::string("Content-Type: text/plain; charset=utf-8\r\n") +
                                "Content-Transfer-Encoding: " + (qp ? "quoted-printable" : "7bit") + "\r\n";
  if (multipart) {
    m += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n";
  } else {
    m += text_head;
  }
  m += "Auto-Submitted: auto-generated\r\n"; // RFC 3834: no vacation auto-replies to a robot
  m += "X-Bambuddy-Event: " + text::headerText(text::singleLine(c.event)) + "\r\n";
  m += "\r\n";
  if (!multipart) {
    m += qp ? quotedPrintable(body) : body;
    return m;
  }
  m += "--" + boundary + "\r\n" + text_head + "\r\n";
  m += qp ? quotedPrintable(body) : body;
  for (const MailAttachment& a : c.attachments) {
    m += "--" + boundary + "\r\n";
    m += "Content-Type: " + std::string(a.content_type) + "\r\n";
    m += "Content-Transfer-Encoding: base64\r\n";
    m += "Content-Disposition: attachment; filename=\"" + std::string(a.filename) + "\"\r\n";
    m += "\r\n";
    m += base64Lines(a.data);
  }
  m += "--" + boundary + "--\r\n";
  return m;
}

} // namespace bambuddy::notifier_email
