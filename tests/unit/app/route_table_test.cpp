// Walks every route of a fully started server (core and plugin routes) and proves each is guarded
// exactly as its route-table entry declares: no key -> 401, a key without the permission -> 403,
// an admin key -> through to the handler.
#include "app/app.h"
#include "common/logger.h"
#include "config/core_config.h"
#include "support/http_client.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <regex>

namespace bambuddy::app {
namespace {

using testing::httpRequest;
using testing::HttpResult;

const std::string kAdminKey = "bb_" + std::string(43, 'R');

class RouteTableTest : public ::testing::Test {
protected:
  void SetUp() override {
    setenv("BAMBUDDY_ADMIN_KEY", kAdminKey.c_str(), 1);
    std::string yaml = "server:\n  listen: 127.0.0.1:0\n"
                       "auth:\n  failed_auth_per_minute: 100000\n"
                       "data_dir: " +
                       dir_.file("data") + "\nplugins:\n  search_path: [" + testing::pluginDir() +
                       "]\n  load:\n    - name: storage.local\n    - name: auth.apikey\n";
    config::Environment env;
    config_ = config::parseCoreConfig(yaml, dir_.file("bambuddy.yaml"), env);
    log_ = std::fopen(dir_.file("log").c_str(), "w");
    logger_ = std::make_unique<Logger>(LogLevel::Warn, log_);
    app_ = std::make_unique<App>(config_, *logger_);
    app_->start();
  }
  void TearDown() override {
    app_->stop();
    std::fclose(log_);
    unsetenv("BAMBUDDY_ADMIN_KEY");
  }

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

  testing::TempDir dir_;
  config::CoreConfig config_;
  std::FILE* log_ = nullptr;
  std::unique_ptr<Logger> logger_;
  std::unique_ptr<App> app_;
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

} // namespace
} // namespace bambuddy::app
