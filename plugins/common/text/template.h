// Message templates with {{field}} placeholders, shared by the ntfy and e-mail notifiers.
//
//   "Print finished: {{filename}} on {{printer|a printer}}"
//
// A placeholder is "{{", a name of letters, digits, '_' and '.' (a dot reaches into a nested
// object: {{ams.tray}}), optionally "|" and a fallback text used when the field is missing, null or
// empty, then "}}". Spaces around the name are ignored. Everything else is literal; a "{{" always
// opens a placeholder, and a "}}" outside one is literal.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bambuddy::common::text {

class Template {
public:
  // Throws std::invalid_argument with the offset of the problem, e.g.
  // "unclosed '{{' at offset 7" or "placeholder 'file name' at offset 3: a name may only contain
  // letters, digits, '_' and '.'".
  static Template parse(std::string_view source);

  // The text with every placeholder replaced by lookup(name), or its fallback (or nothing) when
  // lookup gives nullopt or "".
  std::string render(const std::function<std::optional<std::string>(const std::string&)>& lookup) const;

  const std::string& source() const { return source_; }
  // The names used, in order of appearance (repeats included).
  std::vector<std::string> fields() const;

private:
  struct Part {
    bool is_field = false;
    std::string text; // the literal, or the field name
    std::string fallback;
  };
  std::string source_;
  std::vector<Part> parts_;
};

} // namespace bambuddy::common::text
