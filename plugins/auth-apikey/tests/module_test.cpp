// The descriptor, config handling and the built bb_auth_apikey.so itself.
#include "apikey_test_util.h"

#include <dlfcn.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace bambuddy::auth_apikey::test {
namespace module_test {

struct DlCloser {
  void operator()(void* handle) const { ::dlclose(handle); }
};

std::string readText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class Module : public ApiKeyTest {};

TEST_F(Module, DescriptorIdentifiesAnAuthPlugin) {
  const bb_plugin_descriptor* d = descriptor();
  ASSERT_NE(d, nullptr);
  EXPECT_STREQ(d->name, "auth.apikey");
  EXPECT_EQ(d->kind, BB_KIND_AUTH);
  EXPECT_EQ(json::parse(d->config_schema),
            json::parse(readText(AUTH_APIKEY_SCHEMA_DIR "/config.schema.json")));
  EXPECT_EQ(json::parse(d->instance_schema),
            json::parse(readText(AUTH_APIKEY_SCHEMA_DIR "/instance.schema.json")));
  json schema = json::parse(d->config_schema);
  EXPECT_EQ(schema["additionalProperties"], false);
  EXPECT_EQ(schema["properties"]["usage_flush_interval_ms"]["default"], 30000);
  EXPECT_EQ(schema["properties"]["usage_flush_interval_ms"]["minimum"], 1000);
  EXPECT_EQ(schema["properties"]["admin_key_file"]["default"], "admin-api-key");
  EXPECT_EQ(schema["properties"]["default_grace_period_s"]["default"], 86400);
}

TEST_F(Module, BadConfigAndSettingsAreRefused) {
  for (const char* config :
       {R"({"usage_flush_interval_ms":10})", R"({"usage_flush_interval_ms":"5"})", R"({"admin_key_file":""})",
        R"({"default_grace_period_s":-1})", R"({"bogus":1})", "[]"}) {
    try {
      host_.create(descriptor(), config, "{}", "bad");
      ADD_FAILURE() << config;
    } catch (const sdk::Error& e) {
      EXPECT_EQ(e.code(), BB_ERR_INVALID_ARGUMENT) << config;
      EXPECT_EQ(e.reason(), "invalid_config") << config;
    }
  }
  try {
    host_.create(descriptor(), "{}", R"({"x":1})", "bad");
    ADD_FAILURE() << "settings accepted";
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.reason(), "invalid_settings");
  }
  EXPECT_TRUE(host_.routes().empty()) << "a failed creation left routes behind";
}

TEST_F(Module, LoadsAndAuthenticatesThroughTheSharedObject) {
  std::unique_ptr<void, DlCloser> lib(::dlopen(AUTH_APIKEY_MODULE_PATH, RTLD_NOW | RTLD_LOCAL));
  ASSERT_NE(lib, nullptr) << ::dlerror();
  auto query = reinterpret_cast<bb_plugin_query_fn>(::dlsym(lib.get(), BB_PLUGIN_QUERY_SYMBOL));
  ASSERT_NE(query, nullptr) << ::dlerror();
  const bb_plugin_descriptor* d = query(BB_ABI_MAJOR, BB_ABI_MINOR);
  ASSERT_NE(d, nullptr);
  EXPECT_NE(d, descriptor());
  EXPECT_STREQ(d->name, "auth.apikey");
  {
    auto inst = host_.create(d, "{}", "{}", "so");
    std::string key = adminKey();
    bb_auth_request req{};
    req.struct_size = sizeof req;
    req.client_ip = "127.0.0.1";
    req.api_key_header = key.data();
    req.api_key_header_len = key.size();
    bb_principal p{};
    p.struct_size = sizeof p;
    bb_error err = sdk::detail::makeError();
    EXPECT_EQ(inst->ops<bb_auth_ops>()->authenticate(inst->self(), &req, &p, &err), BB_AUTH_OK);
    EXPECT_EQ(host_.callRoute("GET", "/api/v1/api-keys").status, 200);
  }
}

TEST_F(Module, ConcurrentAuthenticationAndManagement) {
  start();
  std::string admin = adminKey();
  std::vector<std::string> keys;
  for (int i = 0; i < 4; ++i) {
    keys.push_back(createKey({{"name", "k" + std::to_string(i)}})["key"]);
  }
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      while (!stop) {
        if (authenticate(keys[static_cast<size_t>(t)]).rc != BB_AUTH_OK ||
            authenticate(admin).rc != BB_AUTH_OK) {
          ++failures;
        }
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    json k = createKey({{"name", "churn"}});
    std::string path = "/api/v1/api-keys/" + std::to_string(k["id"].get<int64_t>());
    ASSERT_EQ(call("POST", path + "/rotate", "").status, 201);
    ASSERT_EQ(call("PATCH", path, R"({"name":"x"})").status, 200);
    ASSERT_EQ(call("DELETE", path).status, 204);
  }
  stop = true;
  for (auto& t : readers) {
    t.join();
  }
  EXPECT_EQ(failures, 0);
}

} // namespace module_test
} // namespace bambuddy::auth_apikey::test
