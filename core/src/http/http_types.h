// Plain request/response types of the REST layer. Nothing here knows about Pistache, so every
// resource, the auth chain and the tests build against these alone.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace bambuddy::http {

enum class Method { Get, Head, Post, Put, Patch, Delete, Options };

// Rate-limit class of a route. None = public and unlimited (health).
enum class RateClass { None, Read, Write, Control };

// "GET", "HEAD", ...
std::string_view methodName(Method method);
// Exact, case-sensitive method token (HTTP methods are case-sensitive); nullopt otherwise.
std::optional<Method> parseMethod(std::string_view token);
// "none", "read", "write", "control"
std::string_view rateClassName(RateClass rate_class);

struct Request {
  Method method = Method::Get;
  // Path as sent, still percent-encoded, without the query string.
  std::string path;
  // Raw text after '?', without the '?' (may carry secrets: never log it).
  std::string query_string;
  // Decoded query parameters ('+' is a space); for a repeated key the first value wins.
  std::map<std::string, std::string> query;
  // Decoded values of the route's {name} segments.
  std::map<std::string, std::string> params;
  std::string body;
  // Peer address of the TCP connection ("127.0.0.1", "::1"); IPv4-mapped IPv6 is shown as IPv4.
  std::string client_ip;
  // Request headers in arrival order, names as sent.
  std::vector<std::pair<std::string, std::string>> headers;

  // Value of the first header with this name, compared case-insensitively.
  std::optional<std::string> header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string body;
  // Sent as the Content-Type header unless `headers` sets one explicitly; empty = none.
  std::string content_type = "application/json";
  // Extra response headers. Connection, Content-Length and Transfer-Encoding belong to the
  // server and are ignored; a repeated name is sent once with the values joined by ", ".
  std::vector<std::pair<std::string, std::string>> headers;

  // Body is `body` serialized compactly; invalid UTF-8 in strings is replaced, never thrown.
  static Response json(int status, const nlohmann::json& body);
  // The API's error shape: {"detail": detail, "code": code}.
  static Response error(int status, std::string code, std::string detail);
};

using Handler = std::function<Response(const Request&)>;

struct RouteSpec {
  Method method = Method::Get;
  // "/api/v1/printers/{id}": literal segments and whole-segment {name} parameters.
  std::string pattern;
  // "" = public, otherwise the permission's wire name, e.g. "settings:read".
  std::string permission;
  RateClass rate_class = RateClass::None;
  std::string summary;
  Handler handler;
};

} // namespace bambuddy::http
