#include "api/json_body.h"

#include <bambuddy/json_limits.hpp>

#include <cctype>
#include <stdexcept>

namespace bambuddy::api {

namespace {

// Depth 64 and 1 MiB: far above any body the API defines, far below what could hurt the server.
const sdk::JsonLimits kBodyLimits{};

// A refusal lists this many issues at most (a body of 10,000 unknown keys names the first ones).
constexpr std::size_t kMaxListedIssues = 20;

std::string errorCode(const nlohmann::json& schema, const config::SchemaIssue& first) {
  if (first.message == "unknown key") {
    return "unknown_field";
  }
  if (first.pointer.empty()) {
    return "invalid_body";
  }
  // The top-level property: the pointer's first token ("/settings/url" -> "settings").
  std::size_t end = first.pointer.find('/', 1);
  std::string property = first.pointer.substr(1, end == std::string::npos ? std::string::npos : end - 1);
  auto properties = schema.find("properties");
  if (properties != schema.end() && properties->is_object()) {
    auto declared = properties->find(property);
    if (declared != properties->end() && declared->is_object()) {
      auto code = declared->find("x-error-code");
      if (code != declared->end() && code->is_string()) {
        return code->get<std::string>();
      }
      // Only declared names reach the code: a client's key never becomes part of it.
      return "invalid_" + property;
    }
  }
  return "invalid_body";
}

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

JsonBodySchema::JsonBodySchema(nlohmann::json schema, bool required)
    : schema_(std::move(schema)), validator_(schema_), required_(required) {}

std::shared_ptr<const JsonBodySchema> JsonBodySchema::make(nlohmann::json schema, bool required) {
  if (!schema.is_object() || schema.value("type", nlohmann::json()) != "object") {
    throw std::invalid_argument("a request body schema must be an object schema with \"type\": \"object\"");
  }
  return std::shared_ptr<const JsonBodySchema>(new JsonBodySchema(std::move(schema), required));
}

std::optional<http::Response> JsonBodySchema::check(const nlohmann::json& body) const {
  std::vector<config::SchemaIssue> issues = validator_.validate(body);
  if (issues.empty()) {
    return std::nullopt;
  }
  std::string detail;
  nlohmann::json errors = nlohmann::json::array();
  for (std::size_t i = 0; i < issues.size() && i < kMaxListedIssues; ++i) {
    const std::string path = issues[i].path.empty() ? "body" : issues[i].path;
    detail += (detail.empty() ? "" : "; ") + path + ": " + issues[i].message;
    errors.push_back({{"path", path}, {"message", issues[i].message}});
  }
  if (issues.size() > kMaxListedIssues) {
    detail += "; and " + std::to_string(issues.size() - kMaxListedIssues) + " more";
  }
  nlohmann::ordered_json body_out = nlohmann::ordered_json::object();
  body_out["detail"] = detail;
  body_out["code"] = errorCode(schema_, issues.front());
  body_out["errors"] = errors;
  http::Response refusal;
  refusal.status = 400;
  refusal.body = body_out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  return refusal;
}

std::optional<http::Response> JsonBodySchema::admit(http::Request& request) const {
  std::optional<nlohmann::json> body;
  if (!required_ && request.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    body = nlohmann::json::object();
  } else {
    http::Response error;
    body = parseJsonObject(request, error);
    if (!body) {
      return error;
    }
  }
  if (auto refused = check(*body)) {
    return refused;
  }
  request.json_body = std::make_shared<const nlohmann::json>(std::move(*body));
  return std::nullopt;
}

const nlohmann::json& jsonBody(const http::Request& request) {
  if (!request.json_body) {
    throw std::logic_error("route " + request.path + " reads a JSON body it did not declare");
  }
  return *request.json_body;
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
