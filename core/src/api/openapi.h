// GET /api/v1/openapi.json: an OpenAPI 3.1 document generated from the live route table, so every
// route the server answers (core and plugin routes) is in it with its permission (as a security
// requirement with the permission as scope), its rate class (x-rate-class), path and query
// parameters and the shape of its answers. Shapes of known routes come from openapi_shapes.cpp;
// a route without a described shape still appears, with a generic JSON answer. A route's JSON
// request body is the schema the route declared (http::RouteSpec::body), the very one the server
// checks bodies against.
#pragma once

#include "http/http_types.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace bambuddy::http {
class Router;
}

namespace bambuddy::api {

// What is known about one route beyond the route table.
struct RouteShape {
  std::vector<std::pair<std::string, std::string>> query; // name, description
  nlohmann::json request;   // a raw (non-JSON) body, e.g. an upload; JSON bodies: RouteSpec::body
  std::string request_type; // content type of the body ("application/json" when empty)
  nlohmann::json response;  // JSON Schema of the success answer, or null (generic object)
  int success_status = 200;
  std::string response_type; // content type of the success answer ("application/json" when empty)
};

// The described shape of a route, or nullptr.
const RouteShape* findShape(http::Method method, const std::string& pattern);
// Reusable schemas (components.schemas).
const nlohmann::json& componentSchemas();

nlohmann::json buildOpenApi(const std::vector<http::RouteSpec>& routes, const std::string& server_version);

// Serves the document (public: no key needed to read the API's description).
void addOpenApiRoute(http::Router& router, std::string server_version);

} // namespace bambuddy::api
