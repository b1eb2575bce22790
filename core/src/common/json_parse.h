// Parsing JSON that came from outside the core's own code (request bodies, plugins, the database)
// with the size and depth limits of bambuddy/json_limits.hpp applied first.
#pragma once

#include <bambuddy/json_limits.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace bambuddy {

// The parsed document, or a discarded value (is_discarded()) when `text` is not valid JSON or is
// larger or deeper than `limits`. `problem`, when given, receives why ("not valid JSON (at byte 7)",
// "JSON nested deeper than 64 levels (at byte 64)"); it is cleared on success. A returned
// document nests at most limits.max_depth levels, so recursing over it (copy, dump, merge) is
// bounded.
nlohmann::json parseJsonLimited(std::string_view text, std::string* problem = nullptr,
                                const sdk::JsonLimits& limits = sdk::JsonLimits());

} // namespace bambuddy
