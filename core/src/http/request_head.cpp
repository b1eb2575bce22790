#include "http/request_head.h"

#include "common/text.h"

#include <limits>

#include "http/url.h"

namespace bambuddy::http {

namespace {

// Calls `fn` for each comma-separated, trimmed, non-empty element of a list-valued header.
template <typename Fn> void forEachListItem(std::string_view value, Fn fn) {
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string_view::npos) {
      comma = value.size();
    }
    std::string_view item = trimOws(value.substr(start, comma - start));
    if (!item.empty()) {
      fn(item);
    }
    start = comma + 1;
  }
}

// Digits only; saturates instead of overflowing.
std::optional<uint64_t> parseLength(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
  uint64_t value = 0;
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  for (char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    uint64_t digit = static_cast<uint64_t>(c - '0');
    value = (value > (kMax - digit) / 10) ? kMax : value * 10 + digit;
  }
  return value;
}

} // namespace

size_t findHeadEnd(std::string_view data, size_t from) {
  size_t pos = data.find("\r\n\r\n", from);
  return pos == std::string_view::npos ? std::string_view::npos : pos + 4;
}

std::optional<RequestHead> parseRequestHead(std::string_view head) {
  RequestHead out;
  size_t line_end = head.find("\r\n");
  if (line_end == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view line = head.substr(0, line_end);
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos || sp1 == 0 || sp2 == sp1 + 1) {
    return std::nullopt;
  }
  out.method = std::string(line.substr(0, sp1));
  out.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  out.version = std::string(line.substr(sp2 + 1));

  size_t pos = line_end + 2;
  while (pos < head.size()) {
    size_t end = head.find("\r\n", pos);
    if (end == std::string_view::npos) {
      end = head.size();
    }
    std::string_view header_line = head.substr(pos, end - pos);
    pos = end + 2;
    if (header_line.empty()) {
      break; // the blank line closing the head
    }
    size_t colon = header_line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return std::nullopt;
    }
    std::string_view name = header_line.substr(0, colon);
    std::string_view value = trimOws(header_line.substr(colon + 1));
    out.headers.emplace_back(std::string(name), std::string(value));

    if (equalsIgnoreCase(name, "Content-Length")) {
      // A list of identical values ("5, 5") is tolerated, as RFC 9110 allows.
      forEachListItem(value, [&out](std::string_view item) {
        auto length = parseLength(item);
        if (!length || (out.content_length && *out.content_length != *length)) {
          out.bad_content_length = true;
        } else {
          out.content_length = length;
        }
      });
      if (trimOws(value).empty()) {
        out.bad_content_length = true;
      }
    } else if (equalsIgnoreCase(name, "Transfer-Encoding")) {
      out.has_transfer_encoding = true;
    } else if (equalsIgnoreCase(name, "Expect")) {
      out.expect_continue = equalsIgnoreCase(value, "100-continue");
    } else if (equalsIgnoreCase(name, "Connection")) {
      forEachListItem(value, [&out](std::string_view item) {
        if (equalsIgnoreCase(item, "close")) {
          out.connection_close = true;
        } else if (equalsIgnoreCase(item, "keep-alive")) {
          out.connection_keep_alive = true;
        }
      });
    }
  }
  return out;
}

} // namespace bambuddy::http
