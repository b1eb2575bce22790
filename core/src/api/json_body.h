// Reading a request's JSON body with an error that says what is wrong.
#pragma once

#include "http/http_types.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace bambuddy::api {

// The body as a JSON object. On failure returns nullopt and sets `error` to a 400 naming the
// problem (empty body, syntax error with its byte position, not an object), or a 400 json_too_deep
// (nested deeper than 64 levels) / 413 json_too_large (over 1 MiB) checked before parsing.
std::optional<nlohmann::json> parseJsonObject(const http::Request& request, http::Response& error);

// A path parameter that must be a positive 64-bit integer id; nullopt for anything else.
std::optional<int64_t> parseId(const std::string& text);

} // namespace bambuddy::api
