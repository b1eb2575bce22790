#include "markdown_text.h"

namespace bambuddy::notifier_gotify {

std::string escapeMarkdown(std::string_view text) {
  static constexpr std::string_view kPunctuation = "\\`*_{}[]()<>#+-.!|~&";
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  for (char c : text) {
    if (kPunctuation.find(c) != std::string_view::npos) {
      out += '\\';
    }
    out += c;
  }
  return out;
}

} // namespace bambuddy::notifier_gotify
