#include "text/rfc2047.h"

#include "text/base64.h"
#include "text/utf8.h"

namespace bambuddy::common::text {
namespace {

// "=?UTF-8?B?" + base64 + "?=" must fit 75 characters (RFC 2047 section 2).
constexpr size_t kMaxWordChars = 75;
constexpr size_t kWordOverhead = 12;
// A line holding encoded words is limited to 76 characters; the first word shares its line.
constexpr size_t kMaxLineChars = 76;

// Raw bytes that fit a word of `chars` characters: whole base64 quanta of 4 characters, 3 bytes each.
size_t bytesForWord(size_t chars) {
  return chars <= kWordOverhead + 4 ? 3 : (chars - kWordOverhead) / 4 * 3;
}

bool isPrintableAscii(std::string_view text) {
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F) {
      return false;
    }
  }
  return true;
}

} // namespace

std::vector<std::string> encodedWords(std::string_view utf8, size_t first_offset) {
  std::vector<std::string> words;
  size_t start = 0;
  while (start < utf8.size()) {
    size_t room =
        words.empty() && first_offset < kMaxLineChars ? kMaxLineChars - first_offset : kMaxWordChars;
    size_t max_bytes = bytesForWord(room < kMaxWordChars ? room : kMaxWordChars);
    size_t end = start;
    while (end < utf8.size()) {
      size_t n = utf8SequenceLength(utf8, end);
      if (n == 0) {
        n = 1; // not valid UTF-8: keep the byte rather than loop; the caller sanitizes first
      }
      if (end + n - start > max_bytes && end > start) {
        break; // a character longer than the room still gets a word of its own
      }
      end += n;
    }
    words.push_back("=?UTF-8?B?" + base64Encode(utf8.substr(start, end - start)) + "?=");
    start = end;
  }
  return words;
}

std::string headerText(std::string_view utf8, const std::string& separator, size_t first_offset) {
  if (isPrintableAscii(utf8)) {
    return std::string(utf8);
  }
  std::string out;
  for (const std::string& word : encodedWords(utf8, first_offset)) {
    if (!out.empty()) {
      out += separator;
    }
    out += word;
  }
  return out;
}

} // namespace bambuddy::common::text
