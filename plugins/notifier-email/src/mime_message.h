// Builds the RFC 5322 / MIME message the e-mail notifier sends: a single text/plain UTF-8 part,
// CRLF line ends throughout. SMTP dot-stuffing is left to curl.
#pragma once

#include "mail_address.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bambuddy::notifier_email {

// A file sent with the text (a print's thumbnail): borrowed for the build.
struct MailAttachment {
  std::string_view filename;     // [A-Za-z0-9._-] only (the ABI guarantees it)
  std::string_view content_type; // "image/png", "image/jpeg"
  std::string_view data;
};

struct MailContent {
  Mailbox from;
  std::vector<std::string> to;             // bare addresses
  std::string subject;                     // UTF-8, one line (line breaks are turned into spaces)
  std::string body;                        // UTF-8, any line ends
  std::string message_id;                  // without angle brackets: "<id>@<domain>"
  int64_t date_ms = 0;                     // Unix ms, UTC
  std::string event;                       // for X-Bambuddy-Event
  std::vector<MailAttachment> attachments; // none: a single text/plain message
};

// The subject and the text as the message carries them (one line and bounded; bounded), before
// any encoding: what preview() shows.
std::string subjectLine(const MailContent& content);
std::string bodyText(const MailContent& content);

// The whole message: Date, Message-ID, From, To, Subject (RFC 2047 when not ASCII), MIME-Version,
// Content-Type text/plain; charset=utf-8, Content-Transfer-Encoding (7bit when the body is ASCII
// with lines of at most 998 characters, else quoted-printable), Auto-Submitted, X-Bambuddy-Event.
// With attachments the message is multipart/mixed: the text part as above, then each file in
// base64 with Content-Disposition: attachment.
std::string buildMessage(const MailContent& content);

// "<local>@<domain>" for a notification id: characters that are not atext become '_'.
std::string messageIdFor(const std::string& notification_id, const std::string& domain);

// `text` with every line end (CRLF, LF or lone CR) as CRLF.
std::string normalizeLineEnds(const std::string& text);

// RFC 2045 quoted-printable of CRLF-separated UTF-8 text: encoded lines of at most 76 characters,
// soft line breaks, '=' and non-ASCII escaped, whitespace before a line end escaped.
std::string quotedPrintable(const std::string& crlf_text);

} // namespace bambuddy::notifier_email
