#include "html_text.h"

namespace bambuddy::notifier_matrix {

std::string escapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&#39;";
      break;
    case '\n':
      out += "<br>";
      break;
    default:
      out += c;
    }
  }
  return out;
}

} // namespace bambuddy::notifier_matrix
