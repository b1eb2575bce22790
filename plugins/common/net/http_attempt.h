// One HTTP POST attempt, guarded and bounded, mapped to a DeliveryResult: the part of send() that
// the webhook and ntfy notifiers share.
//
// The attempt resolves the host and checks every address (ssrf_guard.h), pins curl to them, sends
// the body with the given headers, never follows a redirect, and gives up at the timeout. The core
// owns retries; this only says what happened and whether trying again can help.
#pragma once

#include "net/delivery.h"
#include "net/guarded_transfer.h"
#include "net/ssrf_guard.h"
#include "net/target_url.h"

#include <bambuddy/sdk.hpp>

#include <curl/curl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bambuddy::common::net {

// One part of a multipart/form-data body: a plain field, or a file when `filename` is set.
struct MimePart {
  std::string name;
  std::string data;
  std::string filename;     // "" for a plain field
  std::string content_type; // "" for none (curl sends fields without one)
};

struct HttpAttempt {
  TargetUrl target;
  std::string method = "POST"; // or "PUT" (Matrix): the body is sent either way
  std::string body;
  // When not empty, the request is multipart/form-data with these parts (curl's MIME API writes
  // the body and its Content-Type with the boundary) and `body` is ignored. Do not add a
  // Content-Type header of your own then.
  std::vector<MimePart> parts;
  std::vector<std::string> headers; // "Name: value" lines, added after the defaults curl sends
  std::string user_agent;
  int64_t timeout_ms = 10000; // the whole attempt: resolving, connecting, sending, reading the answer
};

// What came back from the receiver (or why nothing did).
struct HttpExchange {
  CURLcode code = CURLE_OK;
  std::string transport_error; // curl's text when code != CURLE_OK
  long status = 0;
  std::string retry_after; // the final response's Retry-After value, "" when none
  std::string location;    // the final response's Location value, "" when none
  std::string body_head;   // the first bytes of the answer (at most 4 KiB)
  GuardFailure guard;      // set when the SSRF guard stopped the attempt
};

// Performs the attempt (with `attempt.method`). Never throws for network trouble (that is in the
// exchange); throws only for programming errors or when out of memory.
HttpExchange performPost(const HttpAttempt& attempt, const SsrfPolicy& policy);

// An attempt that carries images, and the same message without them: the upload goes first; when
// the service refuses it as such (HTTP 400, 413 or 415) and at least kMinFallbackMs of the upload's
// timeout is left, the text alone goes in the same call, so a refused image never loses the text.
inline constexpr int64_t kMinFallbackMs = 100;

struct UploadExchange {
  HttpExchange exchange;   // the answer that counts: the fallback's when there was one
  int64_t timeout_ms = 0;  // the limit of the attempt that gave it (for the timeout message)
  long refused_status = 0; // the upload's status when the text went alone, else 0
};

UploadExchange performUpload(const HttpAttempt& with_images, HttpAttempt text_only, const SsrfPolicy& policy);

// Maps an exchange to the result the core records: 2xx Delivered; 3xx Permanent (redirects are not
// followed); 408, 429 and 5xx Retryable with Retry-After honoured; other 4xx Permanent; transport
// failures (refused, reset, timeout, TLS handshake) Retryable; a guard refusal Permanent.
// `now_ms` is the host clock, for a Retry-After given as an HTTP-date; `timeout_ms` names the limit
// in a timeout message.
sdk::DeliveryResult deliveryResult(const HttpExchange& exchange, int64_t now_ms, int64_t timeout_ms);

// The delay a Retry-After value asks for, in ms: delay-seconds ("120") or an HTTP-date in any of
// the three forms of RFC 9110 (IMF-fixdate, RFC 850, asctime). A date in the past gives 0. nullopt
// for anything unparsable. Capped at 7 days.
std::optional<int64_t> parseRetryAfter(std::string_view value, int64_t now_ms);

} // namespace bambuddy::common::net
