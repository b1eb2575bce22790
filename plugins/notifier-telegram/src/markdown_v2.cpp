#include "markdown_v2.h"

namespace bambuddy::notifier_telegram {

std::string escapeMarkdownV2(std::string_view text) {
  static constexpr std::string_view kSpecial = "_*[]()~`>#+-=|{}.!\\";
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  for (char c : text) {
    if (kSpecial.find(c) != std::string_view::npos) {
      out += '\\';
    }
    out += c;
  }
  return out;
}

} // namespace bambuddy::notifier_telegram
