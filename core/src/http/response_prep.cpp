#include "http/response_prep.h"

#include <algorithm>
#include <cstdio>

#include "http/url.h"

namespace bambuddy::http {

namespace {

// RFC 9110 token characters.
bool isTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool isValidName(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  for (char c : name) {
    if (!isTokenChar(c)) {
      return false;
    }
  }
  return true;
}

// Control characters (CR and LF above all) would let a value inject headers.
bool isValidValue(std::string_view value) {
  for (char c : value) {
    auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t') || byte == 0x7f) {
      return false;
    }
  }
  return true;
}

bool isServerOwned(std::string_view name) {
  return equalsIgnoreCase(name, "Connection") || equalsIgnoreCase(name, "Content-Length") ||
         equalsIgnoreCase(name, "Transfer-Encoding");
}

} // namespace

bool statusForbidsBody(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

PreparedResponse prepareResponse(Response response) {
  PreparedResponse out;
  out.status = response.status;
  out.status_ok = response.status >= 200 && response.status <= 599;
  if (!out.status_ok) {
    out.problems.push_back("invalid status " + std::to_string(response.status));
  }
  out.body = std::move(response.body);
  out.file_body = std::move(response.file_body);
  out.stream_body = std::move(response.stream_body);

  bool has_content_type = false;
  for (auto& [name, value] : response.headers) {
    if (!isValidName(name)) {
      out.problems.push_back("dropped header with invalid name \"" + logSafe(name, 64) + "\"");
      continue;
    }
    if (!isValidValue(value)) {
      out.problems.push_back("dropped header " + name + ": value has control characters");
      continue;
    }
    if (isServerOwned(name)) {
      out.problems.push_back("dropped header " + name + ": set by the server");
      continue;
    }
    if (equalsIgnoreCase(name, "Content-Type")) {
      has_content_type = true;
    }
    // Pistache keeps one value per name, so repeats are folded into one list value.
    bool merged = false;
    for (auto& [existing_name, existing_value] : out.headers) {
      if (equalsIgnoreCase(existing_name, name)) {
        existing_value += ", " + value;
        merged = true;
        break;
      }
    }
    if (!merged) {
      out.headers.emplace_back(std::move(name), std::move(value));
    }
  }
  bool bodyless = statusForbidsBody(out.status) && out.body.empty();
  if (!has_content_type && !response.content_type.empty() && !bodyless) {
    if (isValidValue(response.content_type)) {
      out.headers.emplace_back("Content-Type", std::move(response.content_type));
    } else {
      out.problems.push_back("dropped Content-Type: value has control characters");
    }
  }
  return out;
}

std::string serializeHead(std::string_view version, int status, std::string_view reason,
                          const std::vector<std::pair<std::string, std::string>>& headers,
                          std::optional<size_t> content_length) {
  std::string out;
  out.reserve(128 + headers.size() * 48);
  out.append(version);
  out += ' ';
  out += std::to_string(status);
  out += ' ';
  out.append(reason);
  out += "\r\n";
  for (const auto& [name, value] : headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (content_length) {
    out += "Content-Length: ";
    out += std::to_string(*content_length);
    out += "\r\n";
  }
  out += "\r\n";
  return out;
}

std::string logSafe(std::string_view text, size_t max_chars) {
  std::string out;
  out.reserve(std::min(text.size(), max_chars) + 8);
  for (char c : text) {
    if (out.size() >= max_chars) {
      out += "...";
      break;
    }
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f || c == '\\') {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\x%02x", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out;
}

} // namespace bambuddy::http
