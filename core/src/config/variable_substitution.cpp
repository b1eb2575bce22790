#include "config/variable_substitution.h"

namespace bambuddy::config {

namespace {

bool nameStart(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool nameChar(char c) {
  return nameStart(c) || (c >= '0' && c <= '9');
}

} // namespace

bool hasVariableSyntax(const std::string& text) {
  return text.find("${") != std::string::npos;
}

SubstitutionResult substituteVariables(const std::string& text, const VariableLookup& lookup) {
  SubstitutionResult out;
  std::string& value = out.value;
  value.reserve(text.size());
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    if (text.compare(i, 3, "$${") == 0) {
      value += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      value += text[i++];
      continue;
    }
    std::size_t close = text.find('}', i + 2);
    if (close == std::string::npos) {
      out.error = "unterminated ${ (close it with }, or write $${ for a literal ${)";
      return out;
    }
    std::size_t name_end = i + 2;
    while (name_end < close && nameChar(text[name_end])) {
      ++name_end;
    }
    std::string name = text.substr(i + 2, name_end - (i + 2));
    if (name.empty() || !nameStart(name[0])) {
      out.error = "invalid variable reference: a name of letters, digits and _ must follow ${ "
                  "(write $${ for a literal ${)";
      return out;
    }
    std::optional<std::string> found = lookup ? lookup(name) : std::nullopt;
    if (name_end == close) {
      if (!found) {
        out.error =
            "environment variable " + name + " is not set (write ${" + name + ":-default} to give a default)";
        return out;
      }
      value += *found;
    } else if (text.compare(name_end, 2, ":-") == 0) {
      value += found && !found->empty() ? *found : text.substr(name_end + 2, close - (name_end + 2));
    } else if (text[name_end] == '-') {
      value += found ? *found : text.substr(name_end + 1, close - (name_end + 1));
    } else {
      out.error = "unsupported form of ${" + name + "...}: use ${" + name + "}, ${" + name +
                  ":-default} or ${" + name + "-default}";
      return out;
    }
    out.substituted = true;
    i = close + 1;
  }
  return out;
}

} // namespace bambuddy::config
