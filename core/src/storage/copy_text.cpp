#include "storage/copy_text.h"

#include <charconv>
#include <cmath>
#include <system_error>

namespace bambuddy::storage::copy_text {

void appendNull(std::string& out) {
  out += "\\N";
}

void appendInteger(std::string& out, int64_t value) {
  out += std::to_string(value);
}

void appendDouble(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "Infinity" : "-Infinity";
    return;
  }
  char buffer[32];
  // Shortest round-trip form and never the locale's decimal comma (unlike printf).
  const std::to_chars_result result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

void appendText(std::string& out, const char* data, std::size_t size) {
  for (std::size_t i = 0; i < size; ++i) {
    const char c = data[i];
    switch (c) {
    case '\\':
      out += "\\\\";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    default:
      out += c;
    }
  }
}

void appendBytea(std::string& out, const unsigned char* data, std::size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\\\x";
  for (std::size_t i = 0; i < size; ++i) {
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 0x0f];
  }
}

} // namespace bambuddy::storage::copy_text
