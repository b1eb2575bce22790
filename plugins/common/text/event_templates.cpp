#include "text/event_templates.h"

#include "text/utf8.h"

#include <algorithm>
#include <stdexcept>

namespace bambuddy::common::text {

bool isEventKey(const std::string& key) {
  if (key == "*") {
    return true;
  }
  return !key.empty() && key.size() <= 64 && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

EventTemplates EventTemplates::parse(const nlohmann::json* templates, std::string first, std::string second,
                                     Defaults defaults) {
  EventTemplates out;
  out.names_[0] = std::move(first);
  out.names_[1] = std::move(second);
  out.defaults_ = std::move(defaults);
  if (templates == nullptr || templates->is_null()) {
    return out;
  }
  if (!templates->is_object()) {
    throw std::invalid_argument(std::string("/templates must be an object of event names to {") +
                                out.names_[0] + ", " + out.names_[1] + "}, got " + templates->type_name());
  }
  for (auto ev = templates->begin(); ev != templates->end(); ++ev) {
    const std::string path = "/templates/" + utf8Snippet(ev.key(), 64);
    if (!isEventKey(ev.key())) {
      throw std::invalid_argument(path +
                                  ": not an event name (lower-case letters, digits and '_', or \"*\")");
    }
    if (!ev->is_object()) {
      throw std::invalid_argument(path + " must be an object with " + out.names_[0] + " and/or " +
                                  out.names_[1] + ", got " + ev->type_name());
    }
    for (auto field = ev->begin(); field != ev->end(); ++field) {
      int which = field.key() == out.names_[0] ? 0 : field.key() == out.names_[1] ? 1 : -1;
      if (which < 0) {
        throw std::invalid_argument(path + ": unknown field '" + utf8Snippet(field.key(), 64) +
                                    "' (allowed: " + out.names_[0] + ", " + out.names_[1] + ")");
      }
      const std::string field_path = path + "/" + field.key();
      if (!field->is_string()) {
        throw std::invalid_argument(field_path + " must be a string, got " + field->type_name());
      }
      const std::string& source = field->get_ref<const std::string&>();
      if (source.size() > 4096) {
        throw std::invalid_argument(field_path + " is " + std::to_string(source.size()) +
                                    " bytes long; the limit is 4096");
      }
      if (!isValidUtf8(source)) {
        throw std::invalid_argument(field_path + " is not valid UTF-8");
      }
      try {
        out.overrides_[ev.key()].emplace(which, Template::parse(source));
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(field_path + ": " + e.what());
      }
    }
  }
  return out;
}

Template EventTemplates::pick(const std::string& event, int which) const {
  for (const std::string& key : {event, std::string("*")}) {
    auto ev = overrides_.find(key);
    if (ev != overrides_.end()) {
      auto field = ev->second.find(which);
      if (field != ev->second.end()) {
        return field->second;
      }
    }
  }
  auto pair = defaults_(event);
  return Template::parse(which == 0 ? pair.first : pair.second);
}

} // namespace bambuddy::common::text
