#include "smtp_attempt.h"

#include "net/delivery.h"
#include "text/utf8.h"

#include <algorithm>
#include <cstring>
#include <deque>

namespace bambuddy::notifier_email {
namespace {

using Outcome = sdk::DeliveryResult::Outcome;

constexpr size_t kMaxReplyBytes = 2048;

struct Upload {
  const std::string* data;
  size_t offset = 0;
};

size_t readMessage(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  size_t n = std::min(size * count, upload->data->size() - upload->offset);
  std::memcpy(buffer, upload->data->data() + upload->offset, n);
  upload->offset += n;
  return n;
}

// Collects what the server says (never what we send: that includes the AUTH exchange). A reply is
// complete at a line whose code is followed by a space ("250 OK"), after "250-..." continuations.
struct ReplyLog {
  std::string pending;
  std::deque<std::string> replies; // the most recent complete replies

  // The last reply with `code`: curl reports the code of the reply that decided the transfer, but
  // QUIT's "221 Bye" may have come after it.
  std::string find(long code) const {
    const std::string prefix = std::to_string(code);
    for (auto it = replies.rbegin(); it != replies.rend(); ++it) {
      if (it->compare(0, prefix.size(), prefix) == 0) {
        return *it;
      }
    }
    return replies.empty() ? std::string() : replies.back();
  }
};

int onDebug(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  if (type != CURLINFO_HEADER_IN) {
    return 0;
  }
  auto* log = static_cast<ReplyLog*>(user);
  std::string line(data, size);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.pop_back();
  }
  if (log->pending.size() < kMaxReplyBytes) {
    log->pending += (log->pending.empty() ? "" : "\n") + line;
  }
  if (line.size() < 4 || line[3] != '-') {
    log->replies.push_back(std::move(log->pending));
    log->pending.clear();
    if (log->replies.size() > 8) {
      log->replies.pop_front();
    }
  }
  return 0;
}

bool configurationError(CURLcode code) {
  switch (code) {
  case CURLE_UNSUPPORTED_PROTOCOL:
  case CURLE_URL_MALFORMAT:
  case CURLE_NOT_BUILT_IN:
  case CURLE_USE_SSL_FAILED:     // STARTTLS required, the server does not offer it
  case CURLE_LOGIN_DENIED:       // credentials refused
  case CURLE_SSL_CACERT_BADFILE: // ca_file unusable
    return true;
  default:
    return false;
  }
}

} // namespace

SmtpExchange performSmtp(const SmtpAttempt& attempt, const common::net::SsrfPolicy& policy) {
  SmtpExchange ex;
  common::net::GuardedTransfer transfer(attempt.server, policy, "smtp,smtps", attempt.timeout_ms);
  if (!transfer.ready()) {
    ex.guard = transfer.failure();
    return ex;
  }
  CURL* h = transfer.handle();
  common::net::CurlSlist recipients;
  for (const std::string& r : attempt.recipients) {
    recipients.append("<" + r + ">");
  }
  Upload upload{&attempt.message};
  ReplyLog replies;
  const std::string mail_from = "<" + attempt.mail_from + ">";
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, &readMessage);
  curl_easy_setopt(h, CURLOPT_READDATA, &upload);
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(attempt.message.size()));
  curl_easy_setopt(h, CURLOPT_USE_SSL,
                   static_cast<long>(attempt.starttls_required || attempt.server.scheme == "smtps"
                                         ? CURLUSESSL_ALL
                                         : CURLUSESSL_NONE));
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, attempt.tls_verify ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, attempt.tls_verify ? 2L : 0L);
  if (!attempt.ca_file.empty()) {
    curl_easy_setopt(h, CURLOPT_CAINFO, attempt.ca_file.c_str());
  }
  if (attempt.username) {
    curl_easy_setopt(h, CURLOPT_USERNAME, attempt.username->c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, attempt.password ? attempt.password->c_str() : "");
  }
  // VERBOSE only routes protocol lines to onDebug; nothing is printed.
  curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, &onDebug);
  curl_easy_setopt(h, CURLOPT_DEBUGDATA, &replies);
  curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);

  ex.code = transfer.perform();
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &ex.reply_code);
  ex.last_reply = replies.find(ex.reply_code);
  ex.guard = transfer.failure();
  if (ex.code != CURLE_OK) {
    ex.transport_error = transfer.errorText(ex.code);
  }
  return ex;
}

sdk::DeliveryResult smtpDeliveryResult(const SmtpExchange& ex, int64_t timeout_ms) {
  if (ex.guard.any()) {
    return common::net::failedDelivery(ex.guard.refused ? Outcome::Permanent : Outcome::Retryable,
                                       ex.guard.error);
  }
  sdk::DeliveryResult r;
  auto finish = [&](Outcome outcome, const std::string& error) {
    r.outcome = outcome;
    r.error = common::text::utf8Snippet(error, common::net::kErrorMaxBytes);
    return r;
  };
  r.response_snippet = common::text::utf8Snippet(ex.last_reply, common::net::kSnippetMaxBytes);
  if (ex.code == CURLE_OK) {
    r.outcome = Outcome::Delivered;
    return r;
  }
  const std::string reply = common::text::singleLine(ex.last_reply);
  if (ex.reply_code >= 400 && ex.reply_code < 500) {
    return finish(Outcome::Retryable,
                  "SMTP server answered " + (reply.empty() ? std::to_string(ex.reply_code) : reply));
  }
  if (ex.reply_code >= 500 && ex.reply_code < 600) {
    return finish(Outcome::Permanent,
                  "SMTP server answered " + (reply.empty() ? std::to_string(ex.reply_code) : reply));
  }
  if (ex.code == CURLE_OPERATION_TIMEDOUT) {
    return finish(Outcome::Retryable, "no complete SMTP exchange within " + std::to_string(timeout_ms) +
                                          " ms (timed out): " + ex.transport_error);
  }
  if (ex.code == CURLE_USE_SSL_FAILED) {
    return finish(Outcome::Permanent,
                  "the SMTP server does not offer STARTTLS, and starttls is \"required\": " +
                      ex.transport_error);
  }
  return finish(configurationError(ex.code) ? Outcome::Permanent : Outcome::Retryable, ex.transport_error);
}

} // namespace bambuddy::notifier_email
