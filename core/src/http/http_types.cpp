#include "http/http_types.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "http/url.h"

namespace bambuddy::http {

BodyFile::~BodyFile() {
  ::unlink(path_.c_str());
}

FileBody::~FileBody() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

std::string_view methodName(Method method) {
  switch (method) {
  case Method::Get:
    return "GET";
  case Method::Head:
    return "HEAD";
  case Method::Post:
    return "POST";
  case Method::Put:
    return "PUT";
  case Method::Patch:
    return "PATCH";
  case Method::Delete:
    return "DELETE";
  case Method::Options:
    return "OPTIONS";
  }
  return "?";
}

std::optional<Method> parseMethod(std::string_view token) {
  for (Method m : {Method::Get, Method::Head, Method::Post, Method::Put, Method::Patch, Method::Delete,
                   Method::Options}) {
    if (methodName(m) == token) {
      return m;
    }
  }
  return std::nullopt;
}

std::string_view rateClassName(RateClass rate_class) {
  switch (rate_class) {
  case RateClass::None:
    return "none";
  case RateClass::Read:
    return "read";
  case RateClass::Write:
    return "write";
  case RateClass::Control:
    return "control";
  }
  return "?";
}

std::optional<std::string> Request::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (equalsIgnoreCase(key, name)) {
      return value;
    }
  }
  return std::nullopt;
}

Response Response::json(int status, const nlohmann::json& body) {
  Response response;
  response.status = status;
  // Replacing bad UTF-8 keeps a stray byte in stored data from turning a reply into a 500.
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

Response Response::error(int status, std::string code, std::string detail) {
  // ordered_json keeps "detail" before "code", the order the API documents.
  nlohmann::ordered_json body = nlohmann::ordered_json::object();
  body["detail"] = std::move(detail);
  body["code"] = std::move(code);
  Response response;
  response.status = status;
  response.body = body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  return response;
}

Response serve(const RouteSpec& route, Request& request) {
  if (route.body) {
    if (std::optional<Response> refused = route.body->admit(request)) {
      return std::move(*refused);
    }
  }
  return route.handler(request);
}

} // namespace bambuddy::http
