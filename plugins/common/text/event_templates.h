// Per-event pairs of templates (ntfy: title and message; e-mail: subject and body) that operators
// override in an instance's settings:
//
//   "templates": {"print_complete": {"title": "Done: {{filename}}"},   // per event, per field
//                 "*": {"message": "{{event}} on {{printer}}"}}         // any other event
//
// Lookup order for one field of one event: templates[event], templates["*"], the built-in default.
#pragma once

#include "text/template.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <string>
#include <utility>

namespace bambuddy::common::text {

class EventTemplates {
public:
  using Defaults = std::function<std::pair<std::string, std::string>(const std::string& event)>;

  // `templates` is the settings value (nullptr or null when absent); `first` and `second` are the
  // two field names. Throws std::invalid_argument with the JSON path, e.g.
  // "/templates/print_complete/title: unclosed '{{' at offset 7",
  // "/templates/print_complete: unknown field 'body' (allowed: title, message)".
  static EventTemplates parse(const nlohmann::json* templates, std::string first, std::string second,
                              Defaults defaults);

  Template first(const std::string& event) const { return pick(event, 0); }
  Template second(const std::string& event) const { return pick(event, 1); }

private:
  Template pick(const std::string& event, int which) const;

  std::string names_[2];
  std::map<std::string, std::map<int, Template>> overrides_; // event or "*" -> field -> template
  Defaults defaults_;
};

// Event names in settings keys (priorities, tags, templates): lower-case letters, digits and '_',
// or "*" for "any other event".
bool isEventKey(const std::string& key);

} // namespace bambuddy::common::text
