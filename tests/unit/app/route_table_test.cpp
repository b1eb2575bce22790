// Walks every route of a fully started server (core and plugin routes) and proves each is guarded
// exactly as its route-table entry declares: no key -> 401, a key without the permission -> 403,
// an admin key -> through to the handler.
#include "api/openapi.h"
#include "in_process_app.h"
#include "support/http_client.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <regex>
#include <set>

namespace bambuddy::app {
namespace route_table_test {

using testing::httpRequest;
using testing::HttpResult;

class RouteTableTest : public ApiKeyAppTest {
protected:
  HttpResult call(http::Method method, const std::string& path, const std::string& key) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!key.empty()) {
      headers.emplace_back("X-API-Key", key);
    }
    std::string body = method == http::Method::Get || method == http::Method::Delete ? "" : "{}";
    return httpRequest("127.0.0.1", app_->port(), std::string(http::methodName(method)), path, body, headers);
  }

  std::string keyWith(const std::string& permission) {
    nlohmann::json body = {{"name", "walker " + permission}, {"permissions", {permission}}};
    auto r = httpRequest("127.0.0.1", app_->port(), "POST", "/api/v1/api-keys", body.dump(),
                         {{"X-API-Key", kAdminKey}, {"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, 201) << r.body;
    return nlohmann::json::parse(r.body)["key"];
  }
};

TEST_F(RouteTableTest, EveryRouteIsGuardedAsDeclared) {
  auto routes = app_->routes();
  ASSERT_GE(routes.size(), 9u) << "core and auth.apikey routes";
  std::map<std::string, std::string> keys; // permission -> a key holding only it
  size_t checked = 0;
  for (const auto& route : routes) {
    std::string path = std::regex_replace(route.pattern, std::regex("\\{[^}]+\\}"), "999999");
    std::string what = std::string(http::methodName(route.method)) + " " + route.pattern;
    if (route.permission.empty()) {
      EXPECT_EQ(route.rate_class, http::RateClass::None) << what;
      EXPECT_NE(call(route.method, path, "").status, 401) << what << " is public";
      continue;
    }
    EXPECT_NE(route.rate_class, http::RateClass::None) << what << " needs a rate class";
    EXPECT_EQ(call(route.method, path, "").status, 401) << what << " reachable without a key";
    if (route.permission != "authenticated") {
      // A key holding some other, non-admin permission.
      std::string other = route.permission == "printers:read" ? "queue:read" : "printers:read";
      if (!keys.count(other)) {
        keys[other] = keyWith(other);
      }
      auto denied = call(route.method, path, keys[other]);
      EXPECT_EQ(denied.status, 403) << what << " reachable without " << route.permission;
      EXPECT_EQ(nlohmann::json::parse(denied.body, nullptr, false).value("required", ""), route.permission)
          << what;
      if (route.permission != "admin") {
        if (!keys.count(route.permission)) {
          keys[route.permission] = keyWith(route.permission);
        }
        auto allowed = call(route.method, path, keys[route.permission]);
        EXPECT_NE(allowed.status, 401) << what;
        EXPECT_NE(allowed.status, 403) << what;
      }
    }
    auto admin = call(route.method, path, kAdminKey);
    EXPECT_NE(admin.status, 401) << what;
    EXPECT_NE(admin.status, 403) << what;
    ++checked;
  }
  EXPECT_GE(checked, 8u);
}

// GET /api/v1/openapi.json lists every route of the running server with its permission as a
// security scope and its rate class, and every $ref in it resolves.
TEST_F(RouteTableTest, OpenApiDocumentCoversEveryRoute) {
  auto r = httpRequest("127.0.0.1", app_->port(), "GET", "/api/v1/openapi.json", "", {});
  ASSERT_EQ(r.status, 200) << "public, no key needed";
  nlohmann::json doc = nlohmann::json::parse(r.body, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << "valid JSON";
  EXPECT_EQ(doc["openapi"], "3.1.0");
  const nlohmann::json& paths = doc["paths"];
  std::set<std::string> operation_ids;
  for (const auto& route : app_->routes()) {
    if (!route.in_openapi) {
      EXPECT_FALSE(paths.contains(route.pattern))
          << route.pattern << ": web UI files stay out of the API document";
      continue;
    }
    std::string method(http::methodName(route.method));
    std::transform(method.begin(), method.end(), method.begin(), ::tolower);
    std::string what = method + " " + route.pattern;
    ASSERT_TRUE(paths.contains(route.pattern) && paths[route.pattern].contains(method)) << what << " missing";
    const nlohmann::json& op = paths[route.pattern][method];
    EXPECT_TRUE(operation_ids.insert(op["operationId"].get<std::string>()).second)
        << what << ": operationId reused";
    EXPECT_EQ(op["x-rate-class"], std::string(http::rateClassName(route.rate_class))) << what;
    if (route.permission.empty()) {
      EXPECT_TRUE(op["security"].empty()) << what << " is public";
    } else {
      ASSERT_EQ(op["security"].size(), 2u) << what;
      nlohmann::json scopes = op["security"][0]["ApiKeyHeader"];
      if (route.permission == "authenticated") {
        EXPECT_TRUE(scopes.empty()) << what;
      } else {
        EXPECT_EQ(scopes, nlohmann::json::array({route.permission})) << what;
      }
      EXPECT_TRUE(op["responses"].contains("401")) << what;
      EXPECT_TRUE(op["responses"].contains("403")) << what;
    }
    if (route.pattern.find("{id}") != std::string::npos) {
      EXPECT_EQ(op["parameters"][0]["name"], "id") << what;
    }
    // Every route this server loads here (the core's and auth.apikey's) has its answer described.
    EXPECT_NE(api::findShape(route.method, route.pattern), nullptr) << what << " has no described shape";
  }
  // Every reference points at a defined schema.
  std::function<void(const nlohmann::json&)> walk = [&](const nlohmann::json& node) {
    if (node.is_object()) {
      if (node.contains("$ref")) {
        std::string ref = node["$ref"];
        ASSERT_EQ(ref.rfind("#/components/schemas/", 0), 0u) << ref;
        EXPECT_TRUE(doc["components"]["schemas"].contains(ref.substr(21))) << ref;
      }
      for (const auto& [k, v] : node.items()) {
        walk(v);
      }
    } else if (node.is_array()) {
      for (const auto& v : node) {
        walk(v);
      }
    }
  };
  walk(doc);
}

} // namespace route_table_test
} // namespace bambuddy::app
