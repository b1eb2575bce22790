#include "text/utf8.h"

namespace bambuddy::common::text {
bool isAscii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      return false;
    }
  }
  return true;
}

std::string utf8Snippet(std::string_view bytes, size_t max_bytes) {
  std::string out;
  out.reserve(bytes.size() < max_bytes ? bytes.size() : max_bytes);
  for (size_t pos = 0; pos < bytes.size();) {
    size_t n = utf8SequenceLength(bytes, pos);
    std::string_view piece = n == 0 || bytes[pos] == '\0' ? sdk::kUtf8Replacement : bytes.substr(pos, n);
    if (out.size() + piece.size() > max_bytes) {
      break;
    }
    out.append(piece);
    pos += n == 0 ? 1 : n;
  }
  return out;
}

std::string singleLine(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      c = ' ';
    }
  }
  size_t begin = out.find_first_not_of(' ');
  if (begin == std::string::npos) {
    return "";
  }
  size_t end = out.find_last_not_of(' ');
  return out.substr(begin, end - begin + 1);
}

} // namespace bambuddy::common::text
