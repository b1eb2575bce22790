// The two checks SchemaValidator keeps away from valijson 1.0, which does both with std::regex:
// libstdc++'s regex matcher recurses once per character it repeats over, so a string of a few
// tens of kilobytes (far below the 1 MiB a request body may hold) overflows the thread's stack and
// the process dies.
//
//  - "format" (date-time, date, time) is checked here with a plain parser, and only on strings
//    (JSON Schema: a format says nothing about other types; valijson also refused null).
//  - "pattern", "patternProperties" and "propertyNames" stay with valijson, but a string or object
//    key longer than kMaxPatternInputBytes where one of them applies is refused here first, so the
//    regex never sees it. Every pattern this server and its plugins declare is for short text.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace bambuddy::config::precheck {

inline constexpr std::size_t kMaxPatternInputBytes = 4096;

struct Issue {
  std::string pointer;
  std::string message;
};

// What a schema uses that the precheck has to look at.
struct SchemaTraits {
  bool formats = false;  // a "format" the precheck checks (date-time, date, time)
  bool patterns = false; // "pattern", "patternProperties" or "propertyNames"
};
SchemaTraits traitsOf(const nlohmann::json& schema);

// A copy of `schema` without the "format" keywords checked here (for valijson).
nlohmann::json withoutFormats(const nlohmann::json& schema);

// `refused`: strings and keys too long for the pattern checks (valijson must not run when any is
// found). `formats`: strings that break their "format". Formats in anyOf / oneOf / if branches are
// not checked (which branch applies is valijson's to decide); those under allOf and $ref are.
void check(const nlohmann::json& schema, const nlohmann::json& doc, const SchemaTraits& traits,
           std::vector<Issue>& refused, std::vector<Issue>& formats);

// RFC 3339 forms, as JSON Schema's formats mean them ("T"/"Z" in either case, leap second 60).
bool isDateTime(const std::string& text);
bool isFullDate(const std::string& text);
bool isFullTime(const std::string& text);

} // namespace bambuddy::config::precheck
