#include "text/utf8.h"

namespace bambuddy::common::text {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD"; // U+FFFD

bool isContinuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

} // namespace

size_t utf8SequenceLength(std::string_view text, size_t pos) {
  if (pos >= text.size()) {
    return 0;
  }
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[pos + i]); };
  const size_t available = text.size() - pos;
  unsigned char c = byte(0);
  if (c < 0x80) {
    return 1;
  }
  size_t length = 0;
  unsigned char min_second = 0x80;
  unsigned char max_second = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    length = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    length = 3;
    if (c == 0xE0) {
      min_second = 0xA0; // no overlong forms
    } else if (c == 0xED) {
      max_second = 0x9F; // no UTF-16 surrogates
    }
  } else if (c >= 0xF0 && c <= 0xF4) {
    length = 4;
    if (c == 0xF0) {
      min_second = 0x90;
    } else if (c == 0xF4) {
      max_second = 0x8F; // nothing beyond U+10FFFF
    }
  } else {
    return 0;
  }
  if (available < length || byte(1) < min_second || byte(1) > max_second) {
    return 0;
  }
  for (size_t i = 2; i < length; ++i) {
    if (!isContinuation(byte(i))) {
      return 0;
    }
  }
  return length;
}

bool isValidUtf8(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    size_t n = utf8SequenceLength(text, pos);
    if (n == 0) {
      return false;
    }
    pos += n;
  }
  return true;
}

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
    std::string_view piece = n == 0 || bytes[pos] == '\0' ? kReplacement : bytes.substr(pos, n);
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
