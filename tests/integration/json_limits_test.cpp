// JSON and structure limits against the real server (issue 13, attack 3): bodies nested past the
// depth limit are answered 400 json_too_deep before anything recurses over them, change nothing,
// and the server stays up; a config nested too deeply is a config error, not a crash.
#include "support/http_client.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace bambuddy::testing {
namespace json_limits_test {

using nlohmann::json;

// A bootstrap admin key with plenty of entropy (bb_ + 43 base64url characters).
const std::string kAdminKey = "bb_q7Rz0xLw2VnC8tYb5KmH1sPd9FjG3aUe6NcX4oIiT-_";

// Attack 3 of issue 13: {"<field>": 200,000 '[' ... 200,000 ']'}.
std::string attackBody(const std::string& field) {
  return "{\"" + field + "\":" + std::string(200000, '[') + std::string(200000, ']') + "}";
}

class JsonLimitsTest : public ::testing::Test {
protected:
  void SetUp() override {
    const std::string config = dir_.write("bambuddy.yaml", "server:\n"
                                                           "  listen: 127.0.0.1:0\n"
                                                           // Above the JSON limit, to reach it.
                                                           "  max_request_size_bytes: 4194304\n"
                                                           "data_dir: " +
                                                               dir_.file("data") +
                                                               "\n"
                                                               "plugins:\n"
                                                               "  search_path: [" +
                                                               pluginDir() +
                                                               "]\n"
                                                               "  load:\n"
                                                               "    - name: storage.local\n"
                                                               "    - name: auth.apikey\n");
    server_ = std::make_unique<ServerProcess>(
        serverBinary(), std::vector<std::string>{"--config", config},
        std::map<std::string, std::string>{{"BAMBUDDY_ADMIN_KEY", kAdminKey}});
    ASSERT_TRUE(server_->waitReady()) << server_->log();
  }

  HttpResult call(const std::string& method, const std::string& path, const std::string& key,
                  const std::string& body = "") {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!key.empty()) {
      headers.emplace_back("X-API-Key", key);
    }
    if (!body.empty()) {
      headers.emplace_back("Content-Type", "application/json");
    }
    return httpRequest("127.0.0.1", server_->port(), method, path, body, headers);
  }

  // A key with only `permissions`, created by the admin.
  std::string keyWith(const std::vector<std::string>& permissions) {
    HttpResult r = call("POST", "/api/v1/api-keys", kAdminKey,
                        json{{"name", "narrow"}, {"permissions", permissions}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body, nullptr, false).value("key", "");
  }

  // Asserts a 400 json_too_deep whose detail names the limit, and that the server still answers.
  void expectTooDeep(const HttpResult& r) {
    EXPECT_EQ(r.status, 400) << r.error << r.body.substr(0, 300) << "\n" << server_->log();
    json body = json::parse(r.body, nullptr, false);
    EXPECT_EQ(body.value("code", ""), "json_too_deep") << r.body.substr(0, 300);
    EXPECT_NE(body.value("detail", "").find("64 levels"), std::string::npos) << r.body.substr(0, 300);
    EXPECT_TRUE(server_->running()) << server_->log();
    EXPECT_EQ(call("GET", "/health", "").status, 200) << server_->log();
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(JsonLimitsTest, Attack3SettingsPatchIsRefusedAndChangesNothing) {
  const std::string key = keyWith({"settings:read", "settings:write"});
  ASSERT_FALSE(key.empty());
  HttpResult before = call("GET", "/api/v1/settings", key);
  ASSERT_EQ(before.status, 200) << before.body;

  expectTooDeep(call("PATCH", "/api/v1/settings", key, attackBody("currency")));

  HttpResult after = call("GET", "/api/v1/settings", key);
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(json::parse(after.body), json::parse(before.body));
  // The same key still changes settings with a sane body.
  HttpResult ok = call("PATCH", "/api/v1/settings", key, R"({"currency":"CHF"})");
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(json::parse(ok.body, nullptr, false).value("currency", ""), "CHF");
}

TEST_F(JsonLimitsTest, ExactlyTheLimitIsParsedOneMoreIsNot) {
  const std::string key = keyWith({"settings:read", "settings:write"});
  // {"currency": 63 arrays} is 64 levels: parsed, then refused by the settings schema.
  const std::string at_limit = "{\"currency\":" + std::string(63, '[') + std::string(63, ']') + "}";
  HttpResult r = call("PATCH", "/api/v1/settings", key, at_limit);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(json::parse(r.body, nullptr, false).value("code", ""), "invalid_settings") << r.body;
  const std::string past = "{\"currency\":" + std::string(64, '[') + std::string(64, ']') + "}";
  expectTooDeep(call("PATCH", "/api/v1/settings", key, past));
}

TEST_F(JsonLimitsTest, NotificationProvidersQueueAndPrintersRefuseDeepBodies) {
  const std::string key = keyWith({"settings:read", "settings:write", "queue:read", "queue:write"});
  HttpResult providers_before = call("GET", "/api/v1/notifications", key);
  ASSERT_EQ(providers_before.status, 200) << providers_before.body;
  HttpResult queue_before = call("GET", "/api/v1/queue", key);
  ASSERT_EQ(queue_before.status, 200) << queue_before.body;

  expectTooDeep(call("POST", "/api/v1/notifications", key, attackBody("settings")));
  expectTooDeep(call("POST", "/api/v1/queue", key, attackBody("archive_id")));
  expectTooDeep(call("POST", "/api/v1/printers", kAdminKey, attackBody("settings")));

  EXPECT_EQ(json::parse(call("GET", "/api/v1/notifications", key).body), json::parse(providers_before.body));
  EXPECT_EQ(json::parse(call("GET", "/api/v1/queue", key).body), json::parse(queue_before.body));
}

TEST_F(JsonLimitsTest, ApiKeyRoutesOfThePluginRefuseDeepBodies) {
  HttpResult keys_before = call("GET", "/api/v1/api-keys", kAdminKey);
  ASSERT_EQ(keys_before.status, 200) << keys_before.body;
  expectTooDeep(call("POST", "/api/v1/api-keys", kAdminKey, attackBody("permissions")));
  // No key was created (the admin key's own request counter moves, so compare ids).
  auto ids = [](const std::string& body) {
    std::vector<json> out;
    for (const json& item : json::parse(body, nullptr, false).value("items", json::array())) {
      out.push_back(item.value("id", json()));
    }
    return out;
  };
  HttpResult keys_after = call("GET", "/api/v1/api-keys", kAdminKey);
  EXPECT_EQ(ids(keys_after.body), ids(keys_before.body)) << keys_after.body;
  EXPECT_EQ(ids(keys_after.body).size(), 1u);
}

TEST_F(JsonLimitsTest, UnclosedNestingAndOversizedBodiesAreRefusedBeforeParsing) {
  const std::string key = keyWith({"settings:read", "settings:write"});
  expectTooDeep(call("PATCH", "/api/v1/settings", key, "{\"currency\":" + std::string(300000, '{') + "}"));
  // 2 MiB of flat JSON: within the HTTP limit configured above, past the JSON body limit (1 MiB).
  const std::string big = "{\"currency\":\"" + std::string(2 * 1024 * 1024, 'A') + "\"}";
  HttpResult r = call("PATCH", "/api/v1/settings", key, big);
  EXPECT_EQ(r.status, 413) << r.body.substr(0, 300);
  json body = json::parse(r.body, nullptr, false);
  EXPECT_EQ(body.value("code", ""), "json_too_large") << r.body.substr(0, 300);
  EXPECT_NE(body.value("detail", "").find("1048576 bytes"), std::string::npos) << r.body.substr(0, 300);
  EXPECT_EQ(call("GET", "/health", "").status, 200);
}

class JsonLimitsConfigTest : public ::testing::Test {
protected:
  TempDir dir_;
};

TEST_F(JsonLimitsConfigTest, AConfigNested200DeepIsAConfigErrorNotACrash) {
  std::string yaml = "server:\n  listen: 127.0.0.1:0\ndata_dir: " + dir_.file("data") +
                     "\nplugins:\n  search_path: [" + pluginDir() +
                     "]\n  load:\n    - name: storage.local\n      config:\n";
  for (int i = 0; i < 200; ++i) {
    yaml += std::string(8 + 2 * static_cast<size_t>(i), ' ') + "deep:\n";
  }
  yaml += std::string(8 + 2 * 200, ' ') + "leaf: 1\n";
  const std::string file = dir_.write("deep.yaml", yaml);
  ProcessResult r = runProcess({serverBinary(), "--check-config", file});
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_EQ(r.signal, 0);
  // plugins.load[0].config is the fifth level; the value of the 60th "deep" (line 68) would be the
  // 65th.
  EXPECT_NE(r.stderr_text.find(file + ":68 plugins.load[0].config.deep.deep."), std::string::npos)
      << r.stderr_text.substr(0, 2000);
  EXPECT_NE(r.stderr_text.find("nest at most 64 levels"), std::string::npos) << r.stderr_text.substr(0, 2000);

  // Flow style far past yaml-cpp's own guard: a syntax error naming the line.
  const std::string flow = dir_.write("flow.yaml", "server:\n  listen: " + std::string(100000, '[') +
                                                       std::string(100000, ']') + "\n");
  ProcessResult f = runProcess({serverBinary(), "--check-config", flow});
  EXPECT_EQ(f.exit_code, 2) << f.stderr_text.substr(0, 2000);
  EXPECT_NE(f.stderr_text.find(flow + ":2: invalid YAML"), std::string::npos)
      << f.stderr_text.substr(0, 2000);
}

} // namespace json_limits_test
} // namespace bambuddy::testing
