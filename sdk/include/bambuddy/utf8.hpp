// SPDX-License-Identifier: MIT
//
// bambuddy/utf8.hpp — strict UTF-8 for text that crosses a trust boundary: config values, stored
// documents, printer reports, texts a plugin sends on. Header-only C++17; the one UTF-8 check of
// the server (config, storage, archives) and of the plugins (plugins/common, printer drivers).
// Not part of the binary ABI.
//
// Well-formed means what Unicode (table 3-7) and nlohmann::json's dump() require: no stray
// continuation bytes, no overlong forms, no UTF-16 surrogates, nothing above U+10FFFF, nothing cut
// short. The check itself is utfcpp's (Debian: libutfcpp-dev). Repair is written here because
// utf8::replace_invalid folds an ill-formed lead byte and the continuation bytes after it into one
// U+FFFD, while the server has always replaced each byte that is not part of a well-formed
// sequence, so a repaired text keeps its length and never merges a good character into a bad one.
#pragma once

#include <utf8cpp/utf8.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace bambuddy::sdk {

// U+FFFD as UTF-8: what repairUtf8 puts in place of each bad byte.
inline constexpr std::string_view kUtf8Replacement = "\xEF\xBF\xBD";

// Length of the well-formed sequence starting at text[pos] (1..4), or 0 when the bytes there are
// not one (stray continuation, overlong form, surrogate, beyond U+10FFFF, truncated, past the end).
inline std::size_t utf8SequenceLength(std::string_view text, std::size_t pos) {
  if (pos >= text.size()) {
    return 0;
  }
  const unsigned char lead = static_cast<unsigned char>(text[pos]);
  const std::size_t length = lead < 0x80           ? 1
                             : (lead >> 5) == 0x06 ? 2
                             : (lead >> 4) == 0x0E ? 3
                             : (lead >> 3) == 0x1E ? 4
                                                   : 0;
  if (length == 0 || text.size() - pos < length) {
    return 0;
  }
  const char* begin = text.data() + pos;
  return utf8::find_invalid(begin, begin + length) == begin + length ? length : 0;
}

inline bool isValidUtf8(std::string_view text) {
  return utf8::is_valid(text.begin(), text.end());
}

// `text` with every byte that is not part of a well-formed sequence replaced by U+FFFD.
inline std::string repairUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t length = utf8SequenceLength(text, pos);
    if (length == 0) {
      out.append(kUtf8Replacement);
      ++pos;
    } else {
      out.append(text.substr(pos, length));
      pos += length;
    }
  }
  return out;
}

} // namespace bambuddy::sdk
