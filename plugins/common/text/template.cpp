#include "text/template.h"

#include <stdexcept>

namespace bambuddy::common::text {
namespace {

bool isNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

std::string trimSpaces(std::string_view text) {
  size_t begin = text.find_first_not_of(' ');
  if (begin == std::string_view::npos) {
    return "";
  }
  size_t end = text.find_last_not_of(' ');
  return std::string(text.substr(begin, end - begin + 1));
}

} // namespace

Template Template::parse(std::string_view source) {
  Template t;
  t.source_ = std::string(source);
  size_t pos = 0;
  while (pos < source.size()) {
    size_t open = source.find("{{", pos);
    if (open == std::string_view::npos) {
      t.parts_.push_back({false, std::string(source.substr(pos)), ""});
      break;
    }
    if (open > pos) {
      t.parts_.push_back({false, std::string(source.substr(pos, open - pos)), ""});
    }
    size_t close = source.find("}}", open + 2);
    if (close == std::string_view::npos) {
      throw std::invalid_argument("unclosed '{{' at offset " + std::to_string(open));
    }
    std::string_view inner = source.substr(open + 2, close - open - 2);
    if (inner.find("{{") != std::string_view::npos) {
      throw std::invalid_argument("'{{' inside the placeholder at offset " + std::to_string(open));
    }
    size_t bar = inner.find('|');
    std::string name = trimSpaces(inner.substr(0, bar));
    std::string fallback = bar == std::string_view::npos ? "" : std::string(inner.substr(bar + 1));
    if (name.empty()) {
      throw std::invalid_argument("empty placeholder at offset " + std::to_string(open));
    }
    for (char c : name) {
      if (!isNameChar(c)) {
        throw std::invalid_argument("placeholder '" + name + "' at offset " + std::to_string(open) +
                                    ": a name may only contain letters, digits, '_' and '.'");
      }
    }
    if (name.front() == '.' || name.back() == '.' || name.find("..") != std::string::npos) {
      throw std::invalid_argument("placeholder '" + name + "' at offset " + std::to_string(open) +
                                  ": empty name segment around '.'");
    }
    t.parts_.push_back({true, name, fallback});
    pos = close + 2;
  }
  return t;
}

std::string
Template::render(const std::function<std::optional<std::string>(const std::string&)>& lookup) const {
  std::string out;
  for (const Part& part : parts_) {
    if (!part.is_field) {
      out += part.text;
      continue;
    }
    std::optional<std::string> value = lookup(part.text);
    out += value && !value->empty() ? *value : part.fallback;
  }
  return out;
}

std::vector<std::string> Template::fields() const {
  std::vector<std::string> out;
  for (const Part& part : parts_) {
    if (part.is_field) {
      out.push_back(part.text);
    }
  }
  return out;
}

} // namespace bambuddy::common::text
