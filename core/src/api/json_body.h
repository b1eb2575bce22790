// Reading a request's JSON body with an error that says what is wrong, and the declared body of a
// route: one JSON Schema per route, checked by the server before the handler runs and served as
// is in openapi.json.
#pragma once

#include "config/schema_validator.h"
#include "http/http_types.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace bambuddy::api {

// The body as a JSON object. On failure returns nullopt and sets `error` to a 400 naming the
// problem (empty body, syntax error with its byte position, not an object), or a 400 json_too_deep
// (nested deeper than 64 levels) / 413 json_too_large (over 1 MiB) checked before parsing.
std::optional<nlohmann::json> parseJsonObject(const http::Request& request, http::Response& error);

// A route's JSON body, declared as a JSON Schema (draft-07 keywords that mean the same in OpenAPI
// 3.1). Compiled once when the route is registered; admit() is safe on several threads at once.
//
// A body that breaks the schema is refused with
//   400 {"detail": "<path>: <message>; ...", "code": <code>, "errors": [{"path", "message"}, ...]}
// where the code comes from the first issue: "unknown_field" for a key the schema does not
// declare, the top-level property's "x-error-code" when it has one, else "invalid_<property>"
// ("invalid_body" for the body as a whole). Paths are display paths: "settings.url", "order[2]".
class JsonBodySchema final : public http::BodyCheck {
public:
  // Throws std::invalid_argument when `schema` is not a usable schema (at startup, not per request).
  // `required` false: an empty body is read as {}.
  static std::shared_ptr<const JsonBodySchema> make(nlohmann::json schema, bool required = true);

  const nlohmann::json& schema() const override { return schema_; }
  bool required() const override { return required_; }
  std::optional<http::Response> admit(http::Request& request) const override;

  // The refusal for a parsed body, or nullopt when it meets the schema (admit() without parsing).
  std::optional<http::Response> check(const nlohmann::json& body) const;

private:
  JsonBodySchema(nlohmann::json schema, bool required);

  nlohmann::json schema_;
  config::SchemaValidator validator_;
  bool required_;
};

// `spec` with its JSON body declared.
inline http::RouteSpec withBody(std::shared_ptr<const JsonBodySchema> body, http::RouteSpec spec) {
  spec.body = std::move(body);
  return spec;
}

// The body of a route declared with a JsonBodySchema, as admitted by the server. Throws
// std::logic_error for a route without one (a wiring bug, answered 500).
const nlohmann::json& jsonBody(const http::Request& request);

// A path parameter that must be a positive 64-bit integer id; nullopt for anything else.
std::optional<int64_t> parseId(const std::string& text);

} // namespace bambuddy::api
