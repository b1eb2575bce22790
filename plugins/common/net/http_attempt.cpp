#include "net/http_attempt.h"

#include "text/utf8.h"

#include <bambuddy/date_time.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <new>

namespace bambuddy::common::net {
namespace {

constexpr size_t kBodyHeadBytes = 4096;
constexpr int64_t kMaxRetryAfterMs = 7LL * 24 * 3600 * 1000;

using Outcome = sdk::DeliveryResult::Outcome;

std::string trim(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) {
    return "";
  }
  size_t end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

bool startsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) {
    return false;
  }
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

size_t onBody(char* data, size_t size, size_t count, void* user) {
  auto* ex = static_cast<HttpExchange*>(user);
  size_t n = size * count;
  if (ex->body_head.size() < kBodyHeadBytes) {
    ex->body_head.append(data, std::min(n, kBodyHeadBytes - ex->body_head.size()));
  }
  return n; // the rest is read and dropped, so a long answer is not a write error
}

size_t onHeader(char* data, size_t size, size_t count, void* user) {
  auto* ex = static_cast<HttpExchange*>(user);
  size_t n = size * count;
  std::string_view line(data, n);
  if (startsWithNoCase(line, "HTTP/")) {
    // A new response (after a 1xx): only the final one's fields count.
    ex->retry_after.clear();
    ex->location.clear();
  } else if (startsWithNoCase(line, "retry-after:")) {
    ex->retry_after = trim(line.substr(12));
  } else if (startsWithNoCase(line, "location:")) {
    ex->location = trim(line.substr(9));
  }
  return n;
}

// "https://example.com" of a Location value: enough to see where the receiver points, without a
// path or query that might carry a token.
std::string originOf(const std::string& location) {
  if (location.find("://") == std::string::npos) {
    return "";
  }
  try {
    TargetUrl url = parseTargetUrl(location, {"http", "https"});
    return url.scheme + "://" + hostPort(url.host, url.port);
  } catch (const std::exception&) {
    return "";
  }
}

bool isTransientTransportError(CURLcode code) {
  switch (code) {
  case CURLE_UNSUPPORTED_PROTOCOL:
  case CURLE_URL_MALFORMAT:
  case CURLE_NOT_BUILT_IN:
  case CURLE_BAD_FUNCTION_ARGUMENT:
  case CURLE_UNKNOWN_OPTION:
  case CURLE_TOO_MANY_REDIRECTS:
    return false;
  default:
    return true;
  }
}

// Owns a curl_mime for the length of one transfer.
struct MimeFree {
  void operator()(curl_mime* mime) const { curl_mime_free(mime); }
};
using MimeBody = std::unique_ptr<curl_mime, MimeFree>;

// The multipart body of `parts` for handle `h` (curl copies every part's bytes).
MimeBody mimeBody(CURL* h, const std::vector<MimePart>& parts) {
  MimeBody mime(curl_mime_init(h));
  if (!mime) {
    throw std::bad_alloc();
  }
  for (const MimePart& p : parts) {
    curl_mimepart* part = curl_mime_addpart(mime.get());
    if (part == nullptr || curl_mime_name(part, p.name.c_str()) != CURLE_OK ||
        curl_mime_data(part, p.data.data(), p.data.size()) != CURLE_OK ||
        (!p.filename.empty() && curl_mime_filename(part, p.filename.c_str()) != CURLE_OK) ||
        (!p.content_type.empty() && curl_mime_type(part, p.content_type.c_str()) != CURLE_OK)) {
      throw std::bad_alloc(); // curl fails these only when out of memory
    }
  }
  return mime;
}

int64_t steadyMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

} // namespace

HttpExchange performPost(const HttpAttempt& attempt, const SsrfPolicy& policy) {
  HttpExchange ex;
  GuardedTransfer transfer(attempt.target, policy, "http,https", attempt.timeout_ms);
  if (!transfer.ready()) {
    ex.guard = transfer.failure();
    return ex;
  }
  CURL* h = transfer.handle();
  CurlSlist headers;
  headers.append("Expect:"); // no 100-continue round trip: many receivers never send one
  for (const std::string& line : attempt.headers) {
    headers.append(line);
  }
  MimeBody mime;
  if (attempt.parts.empty()) {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, attempt.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(attempt.body.size()));
  } else {
    mime = mimeBody(h, attempt.parts);
    curl_easy_setopt(h, CURLOPT_MIMEPOST, mime.get());
  }
  if (attempt.method != "POST") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, attempt.method.c_str());
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_USERAGENT, attempt.user_agent.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &onBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &ex);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &onHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &ex);

  ex.code = transfer.perform();
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &ex.status);
  ex.guard = transfer.failure();
  if (ex.code != CURLE_OK) {
    ex.transport_error = transfer.errorText(ex.code);
  }
  return ex;
}

UploadExchange performUpload(const HttpAttempt& with_images, HttpAttempt text_only,
                             const SsrfPolicy& policy) {
  UploadExchange out;
  const int64_t started = steadyMs();
  out.exchange = performPost(with_images, policy);
  out.timeout_ms = with_images.timeout_ms;
  const long status = out.exchange.status;
  const bool refused = out.exchange.code == CURLE_OK && !out.exchange.guard.any() &&
                       (status == 400 || status == 413 || status == 415);
  const int64_t left_ms = with_images.timeout_ms - (steadyMs() - started);
  if (!refused || left_ms < kMinFallbackMs) {
    return out;
  }
  text_only.timeout_ms = left_ms;
  out.exchange = performPost(text_only, policy);
  out.timeout_ms = left_ms;
  out.refused_status = status;
  return out;
}

std::optional<int64_t> parseRetryAfter(std::string_view value, int64_t now_ms) {
  std::string v = trim(value);
  if (v.empty()) {
    return std::nullopt;
  }
  if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (v.size() > 9) {
      return kMaxRetryAfterMs; // beyond 31 years in seconds: certainly past the cap
    }
    return std::min<int64_t>(std::stoll(v) * 1000, kMaxRetryAfterMs);
  }
  std::optional<int64_t> when = sdk::parseHttpDate(v);
  if (!when) {
    return std::nullopt;
  }
  return std::clamp<int64_t>(*when - now_ms, 0, kMaxRetryAfterMs);
}

sdk::DeliveryResult deliveryResult(const HttpExchange& ex, int64_t now_ms, int64_t timeout_ms) {
  if (ex.guard.any()) {
    return failedDelivery(ex.guard.refused ? Outcome::Permanent : Outcome::Retryable, ex.guard.error);
  }
  sdk::DeliveryResult r;
  auto finish = [&](Outcome outcome, const std::string& error) {
    r.outcome = outcome;
    r.error = text::utf8Snippet(error, kErrorMaxBytes);
    return r;
  };
  r.http_status = static_cast<int>(ex.status);
  r.response_snippet = text::utf8Snippet(ex.body_head, kSnippetMaxBytes);
  if (ex.code != CURLE_OK) {
    if (ex.code == CURLE_OPERATION_TIMEDOUT) {
      return finish(Outcome::Retryable, "no complete answer within " + std::to_string(timeout_ms) +
                                            " ms (timed out): " + ex.transport_error);
    }
    return finish(isTransientTransportError(ex.code) ? Outcome::Retryable : Outcome::Permanent,
                  ex.transport_error);
  }
  const long s = ex.status;
  if (s >= 200 && s < 300) {
    r.outcome = Outcome::Delivered;
    return r;
  }
  if (s >= 300 && s < 400) {
    std::string origin = originOf(ex.location);
    return finish(Outcome::Permanent, "HTTP " + std::to_string(s) +
                                          " redirect refused: redirects are not followed; set the URL to the "
                                          "final address" +
                                          (origin.empty() ? "" : " (it points to " + origin + ")"));
  }
  bool retryable = s == 408 || s == 429 || s >= 500;
  if (retryable) {
    if (auto delay = parseRetryAfter(ex.retry_after, now_ms)) {
      r.retry_after_ms = *delay;
    }
    return finish(
        Outcome::Retryable,
        "HTTP " + std::to_string(s) + " from the receiver" +
            (ex.retry_after.empty() ? "" : " (Retry-After: " + text::singleLine(ex.retry_after) + ")"));
  }
  if (s == 410) {
    return finish(Outcome::Permanent, "HTTP 410 Gone: the receiver asked to stop deliveries");
  }
  return finish(Outcome::Permanent, "HTTP " + std::to_string(s) + " from the receiver");
}

} // namespace bambuddy::common::net
