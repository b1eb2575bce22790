// Turns a handler's Response into what goes on the wire, independent of Pistache: validated
// status, header list safe to serialize, and the text helpers the server needs for the few
// responses it writes itself and for its access log.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/http_types.h"

namespace bambuddy::http {

struct PreparedResponse {
  int status = 200;
  std::string body;
  std::shared_ptr<FileBody> file_body;     // sent instead of `body` when set
  std::shared_ptr<StreamBody> stream_body; // produced instead of `body` when set
  // Final headers, Content-Type included; never Connection, Content-Length or Transfer-Encoding.
  std::vector<std::pair<std::string, std::string>> headers;
  // Why headers were dropped or the status refused; for the log, never for the client.
  std::vector<std::string> problems;
  // False when the status is outside 200..599: the caller answers 500 instead.
  bool status_ok = true;
};

PreparedResponse prepareResponse(Response response);

// 204 and 304 (and 1xx) never carry a body or a Content-Length of their own.
bool statusForbidsBody(int status);

// "HTTP/1.1 200 OK\r\n" + headers + optional Content-Length + "\r\n" (the blank line).
std::string serializeHead(std::string_view version, int status, std::string_view reason,
                          const std::vector<std::pair<std::string, std::string>>& headers,
                          std::optional<size_t> content_length);

// Printable ASCII kept; other bytes become \xNN; cut at max_chars with "...". For logging
// attacker-controlled text such as request paths.
std::string logSafe(std::string_view text, size_t max_chars = 512);

} // namespace bambuddy::http
