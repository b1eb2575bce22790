// Small text helpers for request targets: percent-decoding, query strings, header names.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace bambuddy::http {

// ASCII case-insensitive comparison (header names, tokens).
bool equalsIgnoreCase(std::string_view a, std::string_view b);

// Decodes %XX escapes; with `plus_is_space` a '+' becomes ' ' (query strings only).
// nullopt for a truncated or non-hex escape.
std::optional<std::string> percentDecode(std::string_view text, bool plus_is_space);

// "a=1&b=x%20y&flag" -> {a:"1", b:"x y", flag:""}. Empty pieces are skipped, the first value of a
// repeated key wins, and a piece that does not decode is kept as sent rather than dropped.
std::map<std::string, std::string> parseQueryString(std::string_view query);

// Splits an origin-form request target "/p/a?x=1" into path "/p/a" and query "x=1".
void splitTarget(std::string_view target, std::string& path, std::string& query);

} // namespace bambuddy::http
