// Reads the raw head (request line + header block) of an HTTP/1.x request. Pistache parses the
// same bytes, but keeps neither the raw query string nor header order, and it reserves memory for
// whatever Content-Length claims before checking any limit; reading the head ourselves lets the
// server refuse an oversized body before it arrives and answer "Expect: 100-continue".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bambuddy::http {

struct RequestHead {
  std::string method;                                       // token as sent, e.g. "GET"
  std::string target;                                       // request target as sent, e.g. "/api/v1/x?y=1"
  std::string version;                                      // "HTTP/1.1"
  std::vector<std::pair<std::string, std::string>> headers; // in order, values trimmed

  std::optional<uint64_t> content_length; // saturates at UINT64_MAX
  bool bad_content_length = false;        // not a number, or conflicting values
  bool has_transfer_encoding = false;
  bool expect_continue = false;  // "Expect: 100-continue"
  bool connection_close = false; // "close" token in Connection
  bool connection_keep_alive = false;
};

// Index just past the blank line ending the head ("\r\n\r\n"), searching from `from`; npos if absent.
size_t findHeadEnd(std::string_view data, size_t from = 0);

// Parses a complete head (as delimited by findHeadEnd). nullopt when the request line or a header
// line is malformed; Pistache's parser will reject such a request with its own message.
std::optional<RequestHead> parseRequestHead(std::string_view head);

} // namespace bambuddy::http
