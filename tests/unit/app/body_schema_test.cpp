// Request bodies are declared once: every core route that takes a JSON body carries its JSON
// Schema (http::RouteSpec::body), openapi.json serves that very schema, and the server checks
// bodies against it after authentication and before the handler, answering a precise error with
// the JSON path. Runs a fully started server (core and auth.apikey) on loopback.
#include "in_process_app.h"
#include "support/http_client.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>

namespace bambuddy::app {
namespace body_schema_test {

using nlohmann::json;
using testing::httpRequest;
using testing::HttpResult;

// Routes that take no body at all (actions on the resource in the path) and the one raw upload.
const std::set<std::string> kNoJsonBody = {
    "POST /api/v1/printers/{id}/print/pause",
    "POST /api/v1/printers/{id}/print/resume",
    "POST /api/v1/printers/{id}/print/stop",
    "POST /api/v1/printers/{id}/plate-cleared",
    "POST /api/v1/notifications/{id}/test",
    "POST /api/v1/notifications/deliveries/{id}/redeliver",
    "POST /api/v1/archives", // the 3MF itself, application/octet-stream
    "POST /api/v1/auth/stream-token",
};

std::string nameOf(const http::RouteSpec& route) {
  return std::string(http::methodName(route.method)) + " " + route.pattern;
}

class BodySchemaTest : public ApiKeyAppTest {
protected:
  const http::RouteSpec& route(http::Method method, const std::string& pattern) {
    routes_ = app_->routes();
    for (const http::RouteSpec& r : routes_) {
      if (r.method == method && r.pattern == pattern) {
        return r;
      }
    }
    ADD_FAILURE() << "no route " << pattern;
    throw std::runtime_error("no route");
  }

  // The refusal of `body` by the route's declared body check, as JSON; null when admitted.
  json refusal(http::Method method, const std::string& pattern, const std::string& body) {
    const http::RouteSpec& r = route(method, pattern);
    if (!r.body) {
      ADD_FAILURE() << pattern << " declares no body";
      return nullptr;
    }
    http::Request request;
    request.method = method;
    request.path = pattern;
    request.body = body;
    std::optional<http::Response> refused = r.body->admit(request);
    if (!refused) {
      EXPECT_TRUE(request.json_body) << "an admitted body is handed to the handler parsed";
      return nullptr;
    }
    EXPECT_EQ(refused->status, 400) << refused->body;
    return json::parse(refused->body);
  }

  HttpResult call(const std::string& method, const std::string& path, const std::string& body,
                  const std::string& key) {
    std::vector<std::pair<std::string, std::string>> headers = {{"Content-Type", "application/json"}};
    if (!key.empty()) {
      headers.emplace_back("X-API-Key", key);
    }
    return httpRequest("127.0.0.1", app_->port(), method, path, body, headers);
  }

  std::string keyWith(const json& body) {
    HttpResult r = call("POST", "/api/v1/api-keys", body.dump(), kAdminKey);
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body)["key"];
  }

  std::vector<http::RouteSpec> routes_;
};

TEST_F(BodySchemaTest, EveryRouteWithABodyDeclaresItsSchemaAndOpenApiServesTheSame) {
  HttpResult r = httpRequest("127.0.0.1", app_->port(), "GET", "/api/v1/openapi.json", "", {});
  ASSERT_EQ(r.status, 200);
  json doc = json::parse(r.body);
  size_t declared = 0;
  for (const http::RouteSpec& route : app_->routes()) {
    const std::string what = nameOf(route);
    bool may_have_body = route.method == http::Method::Post || route.method == http::Method::Patch ||
                         route.method == http::Method::Put;
    if (!may_have_body || !route.in_openapi) {
      EXPECT_FALSE(route.body) << what << " takes no JSON body";
      continue;
    }
    if (kNoJsonBody.count(what)) {
      EXPECT_FALSE(route.body) << what << " takes no JSON body";
      continue;
    }
    ASSERT_TRUE(route.body) << what << " takes a JSON body but declares no schema";
    std::string method(http::methodName(route.method));
    std::transform(method.begin(), method.end(), method.begin(), ::tolower);
    const json& request_body = doc["paths"][route.pattern][method]["requestBody"];
    EXPECT_EQ(request_body["content"]["application/json"]["schema"], route.body->schema())
        << what << ": openapi.json serves another schema than the server checks";
    EXPECT_EQ(request_body["required"], route.body->required()) << what;
    EXPECT_EQ(route.body->schema()["type"], "object") << what;
    ++declared;
  }
  EXPECT_EQ(declared, 16u) << "printers 4, archives 1, queue 3, settings 1, notifications 4, "
                              "api keys 3 (declared by auth.apikey through the plugin ABI)";
}

// One case per kind of constraint: the code, the JSON path and the message of the first issue.
TEST_F(BodySchemaTest, EachKindOfConstraintIsRefusedPreciselyWithItsPath) {
  using M = http::Method;
  struct Case {
    M method;
    std::string pattern;
    json body;
    std::string code;
    std::string path;
    std::string message;
  };
  const std::string start = "/api/v1/printers/{id}/print/start";
  const std::string providers = "/api/v1/notifications";
  const std::vector<Case> cases = {
      {M::Post,
       "/api/v1/printers",
       {{"name", "a"}, {"driver", "printer.sim"}, {"colour", 1}},
       "unknown_field",
       "colour",
       "unknown key"},
      {M::Post, "/api/v1/printers", {{"driver", "printer.sim"}}, "invalid_name", "name", "required"},
      {M::Patch,
       "/api/v1/archives/{id}",
       {{"favourite", "yes"}},
       "invalid_favourite",
       "favourite",
       "expected boolean, got string"},
      {M::Post, start, {{"archive_id", 0}}, "invalid_archive_id", "archive_id", "must be >= 1"},
      {M::Post,
       start,
       {{"archive_id", 1.5}},
       "invalid_archive_id",
       "archive_id",
       "expected integer, got number"},
      {M::Post,
       providers + "/preview",
       {{"event", "print_complete"}, {"provider_id", 0}},
       "invalid_provider_id",
       "provider_id",
       "must be >= 1"},
      {M::Post,
       providers + "/{id}/rotate-secret",
       {{"grace_period_s", 30 * 86400 + 1}},
       "invalid_grace_period",
       "grace_period_s",
       "must be <= 2592000"},
      {M::Patch,
       "/api/v1/queue/{id}",
       {{"status", "done"}},
       "invalid_status",
       "status",
       "must be one of: pending, skipped, cancelled"},
      {M::Post,
       start,
       {{"archive_id", 1}, {"bed_type", "Textured Plate"}},
       "invalid_option",
       "bed_type",
       "does not match pattern ^[a-z0-9_]{1,32}$"},
      {M::Patch, "/api/v1/printers/{id}", {{"name", ""}}, "invalid_name", "name", "must not be empty"},
      {M::Patch,
       "/api/v1/archives/{id}",
       {{"notes", std::string(10001, 'n')}},
       "invalid_notes",
       "notes",
       "must be at most 10000 characters long"},
      {M::Post,
       start,
       {{"archive_id", 1}, {"ams_mapping", json::array()}},
       "invalid_option",
       "ams_mapping",
       "must have at least 1 item"},
      {M::Post,
       start,
       {{"archive_id", 1}, {"ams_mapping", {0, 256}}},
       "invalid_option",
       "ams_mapping[1]",
       "must be <= 255"},
      {M::Post, start, {{"archive_id", 1}, {"plate", 65}}, "invalid_plate", "plate", "must be <= 64"},
      {M::Post,
       "/api/v1/queue/reorder",
       {{"order", {3, 3}}},
       "invalid_order",
       "order",
       "items must be unique"},
      {M::Post,
       "/api/v1/queue",
       {{"archive_id", 1}, {"scheduled_at", "tomorrow"}},
       "invalid_scheduled_at",
       "scheduled_at",
       "must be a valid date-time"},
      {M::Post,
       providers,
       {{"type", "webhook"}, {"name", "x"}, {"events", {"print_done"}}},
       "invalid_events",
       "events[0]",
       "must be one of: "},
      {M::Post,
       providers,
       {{"type", "webhook"}, {"name", "x"}, {"quiet_hours", {{"start", "25:00"}, {"end", "07:00"}}}},
       "invalid_quiet_hours",
       "quiet_hours.start",
       "does not match pattern "},
      {M::Patch, providers + "/{id}", {{"type", "ntfy"}}, "unknown_field", "type", "unknown key"},
      {M::Patch,
       providers + "/{id}",
       {{"enabled", "yes"}},
       "invalid_enabled",
       "enabled",
       "expected boolean, got string"},
      {M::Patch,
       "/api/v1/settings",
       {{"currency", "dollars"}},
       "invalid_settings",
       "currency",
       "does not match pattern ^[A-Z]{3}$"},
      {M::Patch,
       "/api/v1/settings",
       {{"default_rate_limits", {{"read", 0}}}},
       "invalid_settings",
       "default_rate_limits.read",
       "must be >= 1"},
  };
  for (const Case& c : cases) {
    json refused = refusal(c.method, c.pattern, c.body.dump());
    const std::string what = c.pattern + " " + c.body.dump().substr(0, 120);
    ASSERT_TRUE(refused.is_object()) << what << " was admitted";
    EXPECT_EQ(refused["code"], c.code) << what << " -> " << refused.dump();
    ASSERT_TRUE(refused["errors"].is_array() && !refused["errors"].empty()) << what;
    EXPECT_EQ(refused["errors"][0]["path"], c.path) << what << " -> " << refused.dump();
    EXPECT_EQ(refused["errors"][0]["message"].get<std::string>().rfind(c.message, 0), 0u)
        << what << " -> " << refused.dump();
    EXPECT_EQ(refused["detail"].get<std::string>().rfind(c.path + ": " + c.message, 0), 0u)
        << what << " -> " << refused.dump();
  }
}

TEST_F(BodySchemaTest, EveryIssueIsListedAndValidBodiesPass) {
  json many = refusal(http::Method::Patch, "/api/v1/settings",
                      R"({"currency": "dollars", "offline_debounce_s": -1, "x": 1})");
  ASSERT_TRUE(many.is_object());
  std::set<std::string> paths;
  for (const json& issue : many["errors"]) {
    paths.insert(issue["path"].get<std::string>());
  }
  EXPECT_EQ(paths, (std::set<std::string>{"currency", "offline_debounce_s", "x"})) << many.dump();

  // The example of docs/api.md, word for word.
  json example =
      refusal(http::Method::Patch, "/api/v1/archives/{id}", R"({"favourite": "yes", "colour": 1})");
  EXPECT_EQ(example, json::parse(R"({"detail": "favourite: expected boolean, got string; colour: unknown key",
      "code": "invalid_favourite", "errors": [{"path": "favourite", "message": "expected boolean, got string"},
      {"path": "colour", "message": "unknown key"}]})"));

  // null is "the default" where the schema says so; an optional body may be empty.
  EXPECT_EQ(refusal(http::Method::Post, "/api/v1/queue", R"({"archive_id": 1, "printer_id": null})"),
            nullptr);
  EXPECT_EQ(refusal(http::Method::Patch, "/api/v1/settings", R"({"currency": null})"), nullptr);
  // Regression: valijson applied "format" to null, so a schedule could not be cleared.
  EXPECT_EQ(refusal(http::Method::Patch, "/api/v1/queue/{id}", R"({"scheduled_at": null})"), nullptr);
  EXPECT_EQ(refusal(http::Method::Patch, "/api/v1/api-keys/{id}", R"({"expires_at": null})"), nullptr);
  EXPECT_EQ(refusal(http::Method::Patch, "/api/v1/queue/{id}", R"({"scheduled_at": "soon"})")["code"],
            "invalid_scheduled_at");
  // Regression: a megabyte of digits as a date-time overflowed the stack in std::regex (a queue:write
  // key could stop the server); now it is refused like any other bad date.
  EXPECT_EQ(refusal(http::Method::Patch, "/api/v1/queue/{id}",
                    R"({"scheduled_at": ")" + std::string(1000000, '1') +
                        R"(-01-01T00:00:00Z"})")["errors"][0]["message"],
            "must be a valid date-time");
  EXPECT_EQ(refusal(http::Method::Post, "/api/v1/notifications/{id}/rotate-secret", ""), nullptr);
  EXPECT_EQ(refusal(http::Method::Post, "/api/v1/printers/{id}/print/start",
                    R"({"archive_id": 4, "plate": 2, "use_ams": true, "ams_mapping": [0, -1, 254],
                        "bed_type": "textured_plate", "timelapse": null})"),
            nullptr);
  // A required body may not be empty, and what is not JSON is refused before the schema.
  EXPECT_EQ(refusal(http::Method::Post, "/api/v1/printers", "")["code"], "invalid_body");
  EXPECT_EQ(refusal(http::Method::Post, "/api/v1/printers", "{\"name\":")["code"], "invalid_json");
  EXPECT_EQ(refusal(http::Method::Post, "/api/v1/printers", "[1]")["code"], "invalid_body");

  // A flood of unknown keys names the first 20 and counts the rest.
  json flood = json::object();
  for (int i = 0; i < 100; ++i) {
    flood["k" + std::to_string(1000 + i)] = i;
  }
  json refused = refusal(http::Method::Patch, "/api/v1/archives/{id}", flood.dump());
  ASSERT_TRUE(refused.is_object());
  EXPECT_EQ(refused["code"], "unknown_field");
  EXPECT_EQ(refused["errors"].size(), 20u);
  EXPECT_NE(refused["detail"].get<std::string>().find("and 80 more"), std::string::npos);
}

// Over HTTP: who may call the route is decided first (401, 403), the body after, and a refused
// body changes nothing.
TEST_F(BodySchemaTest, AuthenticationAndPermissionComeBeforeTheBody) {
  const std::string bad = R"({"name": "", "driver": 7, "colour": 1})";
  EXPECT_EQ(call("POST", "/api/v1/printers", bad, "").status, 401);
  EXPECT_EQ(call("POST", "/api/v1/printers", bad, "bb_not_a_key").status, 401);
  std::string reader = keyWith({{"name", "reader"}, {"permissions", {"printers:read"}}});
  EXPECT_EQ(call("POST", "/api/v1/printers", bad, reader).status, 403);
  HttpResult refused = call("POST", "/api/v1/printers", bad, kAdminKey);
  ASSERT_EQ(refused.status, 400) << refused.body;
  json body = json::parse(refused.body);
  // The code is the first problem's.
  const json& first = body["errors"][0];
  EXPECT_EQ(body["code"], first["message"] == "unknown key" ? std::string("unknown_field")
                                                            : "invalid_" + first["path"].get<std::string>())
      << refused.body;
  std::set<std::string> paths;
  for (const json& issue : body["errors"]) {
    paths.insert(issue["path"].get<std::string>());
  }
  EXPECT_EQ(paths, (std::set<std::string>{"colour", "name", "driver"})) << refused.body;
  EXPECT_EQ(json::parse(call("GET", "/api/v1/printers", "", kAdminKey).body)["total"], 0) << "nothing added";

  // A key limited to some printers may not touch notification providers: 403 before any body check.
  std::string limited =
      keyWith({{"name", "limited"}, {"permissions", {"settings:write"}}, {"printer_ids", {1}}});
  HttpResult denied = call("POST", "/api/v1/notifications", R"({"colour": 1})", limited);
  EXPECT_EQ(denied.status, 403) << denied.body;
  EXPECT_EQ(json::parse(denied.body)["code"], "printer_limited_key");
}

} // namespace body_schema_test
} // namespace bambuddy::app
