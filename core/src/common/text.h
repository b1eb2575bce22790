// Small text helpers shared by the core's parsers of header values.
#pragma once

#include <string_view>

namespace bambuddy {

// `text` without leading and trailing spaces and tabs (HTTP optional whitespace).
inline std::string_view trimOws(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

} // namespace bambuddy
