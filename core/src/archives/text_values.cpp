#include "archives/text_values.h"

#include <bambuddy/utf8.hpp>

#include <charconv>
#include <cmath>

namespace bambuddy::archives {
namespace {

bool isAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trimAscii(std::string_view text) {
  while (!text.empty() && isAsciiSpace(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && isAsciiSpace(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

void appendHexEscape(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 0x0F];
}

} // namespace

std::string cleanText(std::string_view raw, std::size_t max_bytes, bool* truncated) {
  const std::string_view text = trimAscii(raw);
  std::string out;
  out.reserve(text.size() < max_bytes ? text.size() : max_bytes);
  bool cut = false;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t length = sdk::utf8SequenceLength(text, i);
    const std::string_view piece = length == 0 ? sdk::kUtf8Replacement : text.substr(i, length);
    if (out.size() + piece.size() > max_bytes) {
      cut = true;
      break;
    }
    out += piece;
    i += length == 0 ? 1 : length;
  }
  if (truncated != nullptr) {
    *truncated = cut;
  }
  return out;
}

std::string displayName(std::string_view raw) {
  constexpr std::size_t kMaxDisplayBytes = 200;
  std::string out;
  std::size_t i = 0;
  while (i < raw.size() && out.size() < kMaxDisplayBytes) {
    const unsigned char c = static_cast<unsigned char>(raw[i]);
    const std::size_t length = sdk::utf8SequenceLength(raw, i);
    if (length == 0 || c < 0x20 || c == 0x7F) {
      appendHexEscape(out, c);
      ++i;
    } else {
      out.append(raw.substr(i, length));
      i += length;
    }
  }
  if (i < raw.size()) {
    out += "...";
  }
  return out;
}

std::optional<int64_t> parseInteger(std::string_view text) {
  text = trimAscii(text);
  int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return value;
}

std::optional<double> parseDecimal(std::string_view text) {
  text = trimAscii(text);
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value, std::chars_format::general);
  if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

namespace {

void warnNotAmount(std::string_view raw, const std::string& what, std::vector<std::string>& warnings) {
  constexpr std::size_t kMaxQuotedBytes = 40;
  warnings.push_back(what + ": '" + displayName(raw.substr(0, kMaxQuotedBytes)) +
                     (raw.size() > kMaxQuotedBytes ? "..." : "") + "' is not a non-negative number; ignored");
}

} // namespace

std::optional<double> amountOrWarn(std::string_view raw, const std::string& what,
                                   std::vector<std::string>& warnings) {
  if (trimAscii(raw).empty()) {
    return std::nullopt;
  }
  const std::optional<double> value = parseDecimal(raw);
  if (!value || *value < 0) {
    warnNotAmount(raw, what, warnings);
    return std::nullopt;
  }
  return *value == 0 ? 0.0 : *value; // no "-0" in the output
}

std::optional<int64_t> countOrWarn(std::string_view raw, const std::string& what,
                                   std::vector<std::string>& warnings) {
  if (trimAscii(raw).empty()) {
    return std::nullopt;
  }
  if (const std::optional<int64_t> whole = parseInteger(raw)) {
    if (*whole >= 0) {
      return whole;
    }
  } else if (const std::optional<double> value = parseDecimal(raw)) {
    constexpr double kMaxExact = 9007199254740992.0; // 2^53: beyond it a double is no count
    if (*value >= 0 && *value <= kMaxExact) {
      return static_cast<int64_t>(std::llround(*value));
    }
  }
  warnNotAmount(raw, what, warnings);
  return std::nullopt;
}

} // namespace bambuddy::archives
