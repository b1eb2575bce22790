#include "api/openapi.h"

#include "http/router.h"

#include <cctype>
#include <mutex>
#include <regex>

namespace bambuddy::api {

namespace {

std::string lower(std::string_view method) {
  std::string out(method);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// "GET /api/v1/printers/{id}/status" -> "get_printers_id_status"
std::string operationId(const http::RouteSpec& route) {
  std::string path = route.pattern.rfind("/api/v1/", 0) == 0 ? route.pattern.substr(8) : route.pattern;
  std::string id = lower(http::methodName(route.method));
  for (char c : "_" + path) {
    bool keep = std::isalnum(static_cast<unsigned char>(c)) != 0;
    char next = keep ? c : '_';
    if (next != '_' || id.back() != '_') {
      id += next;
    }
  }
  while (id.back() == '_') {
    id.pop_back();
  }
  return id;
}

std::string tagOf(const std::string& pattern) {
  static const std::regex kFirst("^/api/v1/([^/{]+)");
  std::smatch m;
  if (std::regex_search(pattern, m, kFirst)) {
    return m[1];
  }
  return "system";
}

nlohmann::json errorResponse(const std::string& description) {
  return {{"description", description},
          {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
}

} // namespace

nlohmann::json buildOpenApi(const std::vector<http::RouteSpec>& routes, const std::string& server_version) {
  nlohmann::json paths = nlohmann::json::object();
  static const std::regex kParam("\\{([^}]+)\\}");
  for (const http::RouteSpec& route : routes) {
    if (route.method == http::Method::Head || route.method == http::Method::Options || !route.in_openapi) {
      continue;
    }
    const RouteShape* shape = findShape(route.method, route.pattern);
    nlohmann::json op = {{"operationId", operationId(route)},
                         {"summary", route.summary},
                         {"tags", {tagOf(route.pattern)}},
                         {"x-rate-class", std::string(http::rateClassName(route.rate_class))},
                         {"x-permission", route.permission.empty() ? nlohmann::json(nullptr)
                                                                   : nlohmann::json(route.permission)}};
    if (route.permission.empty()) {
      op["security"] = nlohmann::json::array(); // public
    } else {
      // Any valid key for "authenticated"; otherwise the key needs this permission (admin implies all).
      nlohmann::json scopes = route.permission == "authenticated" ? nlohmann::json::array()
                                                                  : nlohmann::json::array({route.permission});
      op["security"] = {{{"ApiKeyHeader", scopes}}, {{"BearerAuth", scopes}}};
    }
    nlohmann::json params = nlohmann::json::array();
    for (std::sregex_iterator it(route.pattern.begin(), route.pattern.end(), kParam), end; it != end; ++it) {
      std::string name = (*it)[1];
      nlohmann::json schema = name == "id" ? nlohmann::json{{"type", "integer"}, {"minimum", 1}}
                                           : nlohmann::json{{"type", "string"}};
      params.push_back({{"name", name}, {"in", "path"}, {"required", true}, {"schema", schema}});
    }
    int success = route.method == http::Method::Post ? 200 : 200;
    nlohmann::json success_schema = {{"type", "object"}};
    std::string success_type = "application/json";
    if (shape != nullptr) {
      for (const auto& [name, description] : shape->query) {
        nlohmann::json schema = {{"type", "string"}};
        if (name == "limit") {
          schema = {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}, {"default", 100}};
        } else if (name == "offset") {
          schema = {{"type", "integer"}, {"minimum", 0}, {"default", 0}};
        } else if (name == "printer_id") {
          schema = {{"type", "integer"}, {"minimum", 1}};
        } else if (name == "since" || name == "until") {
          schema = {{"type", "string"}, {"format", "date-time"}};
        }
        params.push_back({{"name", name},
                          {"in", "query"},
                          {"required", false},
                          {"description", description},
                          {"schema", schema}});
      }
      if (!shape->request.is_null()) {
        std::string type = shape->request_type.empty() ? "application/json" : shape->request_type;
        op["requestBody"] = {{"required", true}, {"content", {{type, {{"schema", shape->request}}}}}};
      }
      success = shape->success_status;
      if (!shape->response.is_null()) {
        success_schema = shape->response;
      }
      if (!shape->response_type.empty()) {
        success_type = shape->response_type;
      }
    } else if (!route.body && (route.method == http::Method::Post || route.method == http::Method::Patch ||
                               route.method == http::Method::Put)) {
      op["requestBody"] = {{"required", false},
                           {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
    }
    if (route.body) {
      // The very schema the server checks bodies against: the document cannot disagree with it.
      op["requestBody"] = {{"required", route.body->required()},
                           {"content", {{"application/json", {{"schema", route.body->schema()}}}}}};
    }
    if (!params.empty()) {
      op["parameters"] = params;
    }
    nlohmann::json responses = nlohmann::json::object();
    if (success == 204) {
      responses["204"] = {{"description", "done; no body"}};
    } else {
      responses[std::to_string(success)] = {{"description", "success"},
                                            {"content", {{success_type, {{"schema", success_schema}}}}}};
    }
    if (route.method != http::Method::Get || !params.empty()) {
      responses["400"] = errorResponse("invalid request: the detail names the field");
    }
    if (!route.permission.empty()) {
      responses["401"] = errorResponse("missing, unknown, expired or disabled API key");
      responses["403"] = errorResponse("the key lacks the permission (`required` names it)");
      responses["429"] = errorResponse("rate limit of the key's class reached; see Retry-After");
    }
    if (!params.empty()) {
      responses["404"] = errorResponse("no such resource");
    }
    op["responses"] = responses;
    paths[route.pattern][lower(http::methodName(route.method))] = op;
  }
  return {{"openapi", "3.1.0"},
          {"info",
           {{"title", "Bambuddy server API"},
            {"version", server_version},
            {"description", "REST API of the Bambuddy print farm server. Authenticate with an API key in "
                            "X-API-Key or Authorization: Bearer. Every permission is a scope; admin implies "
                            "all. Rate classes (read, write, control) are limited per key."}}},
          {"servers", {{{"url", "/"}}}},
          {"paths", paths},
          {"components",
           {{"securitySchemes",
             {{"ApiKeyHeader", {{"type", "apiKey"}, {"in", "header"}, {"name", "X-API-Key"}}},
              {"BearerAuth", {{"type", "http"}, {"scheme", "bearer"}}}}},
            {"schemas", componentSchemas()}}}};
}

void addOpenApiRoute(http::Router& router, std::string server_version) {
  struct Cache {
    std::mutex mutex;
    std::size_t route_count = 0;
    std::string body;
  };
  auto cache = std::make_shared<Cache>();
  router.add({http::Method::Get, "/api/v1/openapi.json", "", http::RateClass::None,
              "This API as an OpenAPI 3.1 document", [&router, cache, server_version](const http::Request&) {
                // Plugins may add routes while running: rebuild when the table grew.
                std::lock_guard<std::mutex> lock(cache->mutex);
                auto routes = router.routes();
                if (cache->body.empty() || cache->route_count != routes.size()) {
                  cache->body = buildOpenApi(routes, server_version).dump();
                  cache->route_count = routes.size();
                }
                http::Response response;
                response.body = cache->body;
                return response;
              }});
}

} // namespace bambuddy::api
