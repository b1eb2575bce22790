// Written by hand: valijson 1.0 (Debian 12) has no hook for formats or for its regex engine, and
// the date forms are small enough to parse directly (see the header for why not std::regex).
#include "config/schema_precheck.h"

#include "config/json_pointer.h"
#include "config/schema_walk.h"

#include <regex>
#include <utility>

namespace bambuddy::config::precheck {

using nlohmann::json;

namespace {

constexpr int kMaxDepth = kMaxSchemaWalkDepth;
constexpr int kMaxDocDepth = 256; // documents are depth-limited before parsing; this only bounds recursion

bool isCheckedFormat(const json& value) {
  return value.is_string() && (value == "date-time" || value == "date" || value == "time");
}

bool has(const json& schema, const char* keyword) {
  return schema.find(keyword) != schema.end();
}

bool digits(const std::string& text, std::size_t at, std::size_t count, int& value) {
  if (at + count > text.size()) {
    return false;
  }
  value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return false;
    }
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

bool isLeapYear(int year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

// full-date = YYYY-MM-DD at `at`; `end` is where it stops.
bool parseDate(const std::string& text, std::size_t at, std::size_t& end) {
  int year = 0, month = 0, day = 0;
  if (!digits(text, at, 4, year) || at + 4 >= text.size() || text[at + 4] != '-' ||
      !digits(text, at + 5, 2, month) || at + 7 >= text.size() || text[at + 7] != '-' ||
      !digits(text, at + 8, 2, day)) {
    return false;
  }
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) {
    return false;
  }
  int last = kDays[month - 1] + (month == 2 && isLeapYear(year) ? 1 : 0);
  end = at + 10;
  return day <= last;
}

// full-time = HH:MM:SS[.fraction](Z|+HH:MM|-HH:MM) from `at` to the end of the text.
bool parseTime(const std::string& text, std::size_t at) {
  int hour = 0, minute = 0, second = 0;
  if (!digits(text, at, 2, hour) || at + 2 >= text.size() || text[at + 2] != ':' ||
      !digits(text, at + 3, 2, minute) || at + 5 >= text.size() || text[at + 5] != ':' ||
      !digits(text, at + 6, 2, second)) {
    return false;
  }
  if (hour > 23 || minute > 59 || second > 60) {
    return false;
  }
  std::size_t i = at + 8;
  if (i < text.size() && text[i] == '.') {
    std::size_t first = ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      ++i;
    }
    if (i == first) {
      return false;
    }
  }
  if (i < text.size() && (text[i] == 'Z' || text[i] == 'z')) {
    return i + 1 == text.size();
  }
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    int offset_hour = 0, offset_minute = 0;
    return i + 6 == text.size() && digits(text, i + 1, 2, offset_hour) && text[i + 3] == ':' &&
           digits(text, i + 4, 2, offset_minute) && offset_hour <= 23 && offset_minute <= 59;
  }
  return false;
}

bool formatHolds(const std::string& format, const std::string& text) {
  if (format == "date-time") {
    return isDateTime(text);
  }
  if (format == "date") {
    return isFullDate(text);
  }
  return isFullTime(text);
}

bool keyMatches(const std::string& pattern, const std::string& key) {
  try {
    return std::regex_search(key, std::regex(pattern)); // the key is at most kMaxPatternInputBytes
  } catch (const std::regex_error&) {
    return false;
  }
}

// A subschema that applies at a location; `sure` when it always does (the schema itself, allOf,
// $ref), not only in one branch of anyOf / oneOf / if / not.
struct Applied {
  const json* schema;
  bool sure;
};

class Walker {
public:
  Walker(const json& root, const SchemaTraits& traits, std::vector<Issue>& refused,
         std::vector<Issue>& formats)
      : root_(root), traits_(traits), refused_(refused), formats_(formats) {}

  void run(const json& doc) {
    std::vector<Applied> top;
    expand(&root_, true, top, 0);
    walk(doc, "", top, 0);
  }

private:
  void expand(const json* schema, bool sure, std::vector<Applied>& out, int depth) const {
    if (schema == nullptr || !schema->is_object() || depth > kMaxDepth) {
      return;
    }
    out.push_back({schema, sure});
    auto ref = schema->find("$ref");
    if (ref != schema->end() && ref->is_string() && ref->get_ref<const std::string&>().rfind('#', 0) == 0) {
      try {
        expand(&root_.at(json::json_pointer(ref->get<std::string>().substr(1))), sure, out, depth + 1);
      } catch (const std::exception&) {
        // Unresolvable refs were refused when the schema was loaded.
      }
    }
    auto all = schema->find("allOf");
    if (all != schema->end() && all->is_array()) {
      for (const json& item : *all) {
        expand(&item, sure, out, depth + 1);
      }
    }
    for (const char* key : {"anyOf", "oneOf"}) {
      auto list = schema->find(key);
      if (list != schema->end() && list->is_array()) {
        for (const json& item : *list) {
          expand(&item, false, out, depth + 1);
        }
      }
    }
    for (const char* key : {"if", "then", "else", "not"}) {
      auto branch = schema->find(key);
      if (branch != schema->end()) {
        expand(&*branch, false, out, depth + 1);
      }
    }
  }

  void itemSchemas(const std::vector<Applied>& at, std::size_t index, std::vector<Applied>& out) const {
    for (const Applied& a : at) {
      auto items = a.schema->find("items");
      if (items != a.schema->end() && items->is_object()) {
        expand(&*items, a.sure, out, 0);
      } else if (items != a.schema->end() && items->is_array()) {
        if (index < items->size()) {
          expand(&(*items)[index], a.sure, out, 0);
        } else if (auto extra = a.schema->find("additionalItems"); extra != a.schema->end()) {
          expand(&*extra, a.sure, out, 0);
        }
      }
      if (auto contains = a.schema->find("contains"); contains != a.schema->end()) {
        expand(&*contains, false, out, 0);
      }
    }
  }

  void propertySchemas(const std::vector<Applied>& at, const std::string& key,
                       std::vector<Applied>& out) const {
    for (const Applied& a : at) {
      bool matched = false;
      auto properties = a.schema->find("properties");
      if (properties != a.schema->end() && properties->is_object()) {
        if (auto p = properties->find(key); p != properties->end()) {
          expand(&*p, a.sure, out, 0);
          matched = true;
        }
      }
      auto patterns = a.schema->find("patternProperties");
      if (patterns != a.schema->end() && patterns->is_object()) {
        for (auto it = patterns->begin(); it != patterns->end(); ++it) {
          if (keyMatches(it.key(), key)) {
            expand(&it.value(), a.sure, out, 0);
            matched = true;
          }
        }
      }
      auto additional = a.schema->find("additionalProperties");
      if (!matched && additional != a.schema->end()) {
        expand(&*additional, a.sure, out, 0);
      }
    }
  }

  void walk(const json& node, const std::string& pointer, const std::vector<Applied>& at, int depth) {
    if (at.empty() || depth > kMaxDocDepth) {
      return;
    }
    if (node.is_string()) {
      checkString(node.get_ref<const std::string&>(), pointer, at);
    } else if (node.is_object()) {
      bool keys_matched = false;
      for (const Applied& a : at) {
        keys_matched = keys_matched || has(*a.schema, "patternProperties") || has(*a.schema, "propertyNames");
      }
      for (auto it = node.begin(); it != node.end(); ++it) {
        const std::string child = childPointer(pointer, it.key());
        if (keys_matched && traits_.patterns && it.key().size() > kMaxPatternInputBytes) {
          refused_.push_back({child, "key is too long to check against its pattern (at most " +
                                         std::to_string(kMaxPatternInputBytes) + " bytes)"});
          continue;
        }
        std::vector<Applied> next;
        propertySchemas(at, it.key(), next);
        walk(it.value(), child, next, depth + 1);
      }
    } else if (node.is_array()) {
      for (std::size_t i = 0; i < node.size(); ++i) {
        std::vector<Applied> next;
        itemSchemas(at, i, next);
        walk(node[i], childPointer(pointer, i), next, depth + 1);
      }
    }
  }

  void checkString(const std::string& text, const std::string& pointer, const std::vector<Applied>& at) {
    if (traits_.patterns && text.size() > kMaxPatternInputBytes) {
      for (const Applied& a : at) {
        if (has(*a.schema, "pattern")) {
          refused_.push_back({pointer, "is too long to check against its pattern (at most " +
                                           std::to_string(kMaxPatternInputBytes) + " bytes)"});
          return;
        }
      }
    }
    if (!traits_.formats) {
      return;
    }
    for (const Applied& a : at) {
      auto format = a.schema->find("format");
      if (a.sure && format != a.schema->end() && isCheckedFormat(*format) &&
          !formatHolds(format->get_ref<const std::string&>(), text)) {
        formats_.push_back({pointer, "must be a valid " + format->get<std::string>()});
        return;
      }
    }
  }

  const json& root_;
  const SchemaTraits& traits_;
  std::vector<Issue>& refused_;
  std::vector<Issue>& formats_;
};

} // namespace

SchemaTraits traitsOf(const json& schema) {
  SchemaTraits traits;
  eachSubschema(schema, [&](const json& s, const std::string&) {
    auto format = s.find("format");
    traits.formats = traits.formats || (format != s.end() && isCheckedFormat(*format));
    traits.patterns =
        traits.patterns || has(s, "pattern") || has(s, "patternProperties") || has(s, "propertyNames");
  });
  return traits;
}

json withoutFormats(const json& schema) {
  json copy = schema;
  eachSubschema(copy, [](json& s, const std::string&) {
    auto format = s.find("format");
    if (format != s.end() && isCheckedFormat(*format)) {
      s.erase(format);
    }
  });
  return copy;
}

void check(const json& schema, const json& doc, const SchemaTraits& traits, std::vector<Issue>& refused,
           std::vector<Issue>& formats) {
  if (!traits.formats && !traits.patterns) {
    return;
  }
  Walker(schema, traits, refused, formats).run(doc);
}

bool isDateTime(const std::string& text) {
  std::size_t end = 0;
  return parseDate(text, 0, end) && end < text.size() && (text[end] == 'T' || text[end] == 't') &&
         parseTime(text, end + 1);
}

bool isFullDate(const std::string& text) {
  std::size_t end = 0;
  return parseDate(text, 0, end) && end == text.size();
}

bool isFullTime(const std::string& text) {
  return parseTime(text, 0);
}

} // namespace bambuddy::config::precheck
