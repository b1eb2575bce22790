#include "text/rfc2047.h"

#include "text/base64.h"
#include "text/utf8.h"

namespace bambuddy::common::text {
namespace {

// "=?UTF-8?B?" + base64 + "?=" must fit 75 characters: 63 base64 characters at most, so 45 raw
// bytes (a multiple of 3 keeps every word's base64 free of padding except the last).
constexpr size_t kMaxBytesPerWord = 45;

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

std::vector<std::string> encodedWords(std::string_view utf8) {
  std::vector<std::string> words;
  size_t start = 0;
  while (start < utf8.size()) {
    size_t end = start;
    while (end < utf8.size()) {
      size_t n = utf8SequenceLength(utf8, end);
      if (n == 0) {
        n = 1; // not valid UTF-8: keep the byte rather than loop; the caller sanitizes first
      }
      if (end + n - start > kMaxBytesPerWord) {
        break;
      }
      end += n;
    }
    words.push_back("=?UTF-8?B?" + base64Encode(utf8.substr(start, end - start)) + "?=");
    start = end;
  }
  return words;
}

std::string headerText(std::string_view utf8, const std::string& separator) {
  if (isPrintableAscii(utf8)) {
    return std::string(utf8);
  }
  std::string out;
  for (const std::string& word : encodedWords(utf8)) {
    if (!out.empty()) {
      out += separator;
    }
    out += word;
  }
  return out;
}

} // namespace bambuddy::common::text
