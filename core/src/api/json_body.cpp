#include "api/json_body.h"

#include <bambuddy/json_limits.hpp>

#include <cctype>

namespace bambuddy::api {

namespace {

// Depth 64 and 1 MiB: far above any body the API defines, far below what could hurt the server.
const sdk::JsonLimits kBodyLimits{};

} // namespace

std::optional<nlohmann::json> parseJsonObject(const http::Request& request, http::Response& error) {
  if (request.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    error =
        http::Response::error(400, "invalid_body", "the request body is empty; a JSON object is expected");
    return std::nullopt;
  }
  // Limits first: the document is copied and merged recursively later (settings PATCH), so one
  // deeper than the limit must never be built.
  const sdk::JsonLimitCheck limits = sdk::checkJsonLimits(request.body, kBodyLimits);
  if (limits.verdict == sdk::JsonLimitCheck::Verdict::TooDeep) {
    error = http::Response::error(400, "json_too_deep",
                                  "the request body is nested deeper than the limit of " +
                                      std::to_string(limits.limit) + " levels (at byte " +
                                      std::to_string(limits.offset) + ")");
    return std::nullopt;
  }
  if (limits.verdict == sdk::JsonLimitCheck::Verdict::TooLarge) {
    error =
        http::Response::error(413, "json_too_large",
                              "the JSON request body of " + std::to_string(request.body.size()) +
                                  " bytes exceeds the limit of " + std::to_string(limits.limit) + " bytes");
    return std::nullopt;
  }
  try {
    nlohmann::json body = nlohmann::json::parse(request.body);
    if (!body.is_object()) {
      error = http::Response::error(400, "invalid_body",
                                    std::string("the request body must be a JSON object, not ") +
                                        body.type_name());
      return std::nullopt;
    }
    return body;
  } catch (const nlohmann::json::parse_error& e) {
    error = http::Response::error(
        400, "invalid_json", "the request body is not valid JSON (at byte " + std::to_string(e.byte) + ")");
    return std::nullopt;
  } catch (const nlohmann::json::out_of_range&) {
    // nlohmann reports a number beyond a double ("1e999") this way, not as a parse_error.
    error = http::Response::error(400, "invalid_json", "the request body holds a number out of range");
    return std::nullopt;
  }
}

std::optional<int64_t> parseId(const std::string& text) {
  if (text.empty() || text.size() > 18) {
    return std::nullopt;
  }
  int64_t value = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
    value = value * 10 + (c - '0');
  }
  return value > 0 ? std::optional<int64_t>(value) : std::nullopt;
}

} // namespace bambuddy::api
