// ABI conformance: each test loads one purpose-built plugin through the real host and checks the
// host's answer (sdk/ABI.md lists the rules).
#include "api/json_body.h"
#include "config/config_error.h"
#include "config/core_config.h"
#include "http/router.h"
#include "plugins/abi_rules.h"
#include "plugins/plugin_host.h"
#include "plugins/route_shadowing.h"
#include "support/core_services.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>

namespace bambuddy::plugins {
namespace {

const std::string kPluginDir = ABI_PLUGIN_DIR;

// A host with real services over a temp directory; the log goes to a file the test can read.
class AbiHost : public ::testing::Test {
protected:
  void SetUp() override {
    HostServices services{
        core_.logger(), core_.bus(), core_.kv(), core_.dir().path(), [] { return int64_t{0}; }, &router_};
    if (with_body_check_) {
      services.body_check = [](nlohmann::json schema,
                               bool required) -> std::shared_ptr<const http::BodyCheck> {
        return api::JsonBodySchema::make(std::move(schema), required);
      };
    }
    host_ = std::make_unique<PluginHost>(std::move(services));
  }
  bool with_body_check_ = true; // as the server: plugins may declare request bodies

  void TearDown() override { host_.reset(); }

  // A config whose plugin entries come from `entries_yaml` (indented list item text).
  config::CoreConfig configWith(const std::string& entries_yaml) {
    std::string yaml = "data_dir: " + core_.dir().path() + "\n" +
                       "plugins:\n"
                       "  search_path: [" +
                       kPluginDir + "]\n" + "  load:\n" + entries_yaml;
    config::Environment env;
    env.exe_dir = core_.dir().path();
    return config::parseCoreConfig(yaml, core_.dir().file("bambuddy.yaml"), env);
  }

  std::string log() { return core_.log(); }

  // Loads the entries (required unless they say otherwise) and returns the refusal message
  // ("" when everything loaded).
  std::string refusal(const std::string& entries_yaml) {
    try {
      host_->loadAll(configWith(entries_yaml));
    } catch (const PluginLoadError& e) {
      return e.what();
    }
    return "";
  }

  testing::CoreServices core_;
  http::Router router_;
  std::unique_ptr<PluginHost> host_;
};

TEST_F(AbiHost, CompliantPluginLoads) {
  EXPECT_EQ(refusal("    - name: abi.ok\n"), "");
  auto summaries = host_->summaries();
  ASSERT_EQ(summaries.size(), 1u);
  EXPECT_EQ(summaries[0].name, "abi.ok");
  EXPECT_EQ(summaries[0].kind, "storage");
  EXPECT_EQ(summaries[0].abi, abiString(BB_ABI_MAJOR, BB_ABI_MINOR));
  ASSERT_EQ(summaries[0].instances.size(), 1u); // storage plugins get one "default" instance
  EXPECT_EQ(summaries[0].instances[0], "default");
}

TEST_F(AbiHost, NewerMinorRefusedNamingBothVersions) {
  std::string why = refusal("    - name: abi.newer_minor\n");
  EXPECT_NE(why.find("newer ABI minor"), std::string::npos) << why;
  std::string plugin_abi = abiString(BB_ABI_MAJOR, BB_ABI_MINOR + 1);
  std::string host_abi = abiString(BB_ABI_MAJOR, BB_ABI_MINOR);
  EXPECT_NE(why.find("plugin ABI " + plugin_abi), std::string::npos) << why;
  EXPECT_NE(why.find("host ABI " + host_abi), std::string::npos) << why;
  EXPECT_NE(log().find("plugin ABI " + plugin_abi), std::string::npos);
  EXPECT_TRUE(host_->summaries().empty());
}

TEST_F(AbiHost, OlderMinorRefusedWhileMajorIsZero) {
  ASSERT_EQ(BB_ABI_MAJOR, 0u) << "revisit this test once the ABI reaches 1.0";
  std::string why = refusal("    - name: abi.older_minor\n");
  EXPECT_NE(why.find("exact minor"), std::string::npos) << why;
}

TEST_F(AbiHost, OtherMajorRefused) {
  std::string why = refusal("    - name: abi.other_major\n");
  EXPECT_NE(why.find("major version differs"), std::string::npos) << why;
  EXPECT_NE(why.find("plugin ABI " + abiString(BB_ABI_MAJOR + 1, 0)), std::string::npos) << why;
}

TEST_F(AbiHost, MissingQuerySymbolRefused) {
  std::string why = refusal("    - name: abi.no_query\n");
  EXPECT_NE(why.find("does not export bb_plugin_query"), std::string::npos) << why;
}

TEST_F(AbiHost, QueryReturningNullRefused) {
  std::string why = refusal("    - name: abi.null_query\n");
  EXPECT_NE(why.find("returned NULL"), std::string::npos) << why;
}

TEST_F(AbiHost, DuplicateNameRefused) {
  // Two different files declaring the same name (the config itself forbids listing a name twice).
  std::string why = refusal("    - name: abi.dup\n      path: " + kPluginDir + "/bb_abi_dup_a.so\n" +
                            "    - name: abi.dup_again\n      path: " + kPluginDir + "/bb_abi_dup_b.so\n");
  EXPECT_NE(why.find("duplicate name"), std::string::npos) << why;
  EXPECT_NE(why.find("bb_abi_dup_a.so"), std::string::npos) << why;
  std::string abi = abiString(BB_ABI_MAJOR, BB_ABI_MINOR);
  EXPECT_NE(log().find("(required plugin; plugin ABI " + abi + ", host ABI " + abi + ")"), std::string::npos)
      << log();
}

TEST_F(AbiHost, DescriptorLargerThanHostKnowsRefused) {
  std::string why = refusal("    - name: abi.big_descriptor\n");
  EXPECT_NE(why.find("larger than this host knows"), std::string::npos) << why;
}

TEST_F(AbiHost, ConfigFailingSchemaRefusedWithExactPath) {
  // Line numbers: data_dir=1, plugins=2, search_path=3, load=4, first item=5.
  std::string why = refusal("    - name: abi.ok\n"
                            "    - name: abi.schema\n"
                            "      config:\n"
                            "        qos: 7\n");
  EXPECT_NE(why.find("bambuddy.yaml:7 plugins.load[1].config.topic: required"), std::string::npos) << why;
  EXPECT_NE(why.find("bambuddy.yaml:8 plugins.load[1].config.qos: must be <= 2"), std::string::npos) << why;
  EXPECT_TRUE(host_->summaries().empty()) << "a refused required plugin stops the whole load";
}

TEST_F(AbiHost, CheckConfigReportsSchemaErrorsWithoutCreating) {
  auto problems = PluginHost::check(configWith("    - name: abi.schema\n      config: {topic: 5}\n"));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].format().substr(problems[0].format().find("bambuddy.yaml")),
            "bambuddy.yaml:6 plugins.load[0].config.topic: expected string, got integer");
}

TEST_F(AbiHost, SchemaDefaultsReachThePlugin) {
  ASSERT_EQ(refusal("    - name: abi.schema\n      config: {topic: farm}\n"), "");
  PluginInstance* instance = host_->findInstance("abi.schema", "default");
  ASSERT_NE(instance, nullptr);
  auto config = instance->storageGet("any");
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(nlohmann::json::parse(*config), nlohmann::json({{"topic", "farm"}, {"qos", 1}}));
}

TEST_F(AbiHost, ThrowingOpsBecomeErrorCodesAndHostKeepsServing) {
  ASSERT_EQ(refusal("    - name: abi.throws\n"), "");
  PluginInstance* instance = host_->findInstance("abi.throws", "default");
  ASSERT_NE(instance, nullptr);
  try {
    instance->storagePut("a", "b");
    FAIL() << "put should fail";
  } catch (const PluginCallError& e) {
    EXPECT_EQ(e.code(), BB_ERR_INTERNAL);
    EXPECT_STREQ(e.what(), "put exploded");
  }
  try {
    instance->storageGet("a");
    FAIL() << "get should fail";
  } catch (const PluginCallError& e) {
    EXPECT_EQ(e.code(), BB_ERR_UNAVAILABLE);
    EXPECT_EQ(e.reason(), "busy");
  }
  try {
    instance->storageRemove("a");
    FAIL() << "remove should fail";
  } catch (const PluginCallError& e) {
    EXPECT_EQ(e.code(), BB_ERR_INTERNAL);
    EXPECT_STREQ(e.what(), "unknown exception");
  }
  auto listed = instance->storageList("");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].first, "still-alive");
}

TEST_F(AbiHost, ThrowingConstructorRefusedWithItsMessage) {
  std::string why = refusal("    - name: abi.create_throws\n");
  EXPECT_NE(why.find("cannot start: disk on fire"), std::string::npos) << why;
}

TEST_F(AbiHost, OptionalRefusedPluginIsSkippedAndOthersLoad) {
  std::string why = refusal("    - name: abi.other_major\n      required: false\n"
                            "    - name: abi.ok\n");
  EXPECT_EQ(why, "");
  auto summaries = host_->summaries();
  ASSERT_EQ(summaries.size(), 1u);
  EXPECT_EQ(summaries[0].name, "abi.ok");
  EXPECT_NE(log().find("optional plugin skipped"), std::string::npos);
}

TEST_F(AbiHost, MissingFileRefusedNamingSearchPath) {
  std::string why = refusal("    - name: abi.not_there\n");
  EXPECT_NE(why.find("no bb_abi_not_there.so on the plugin search path"), std::string::npos) << why;
}

TEST_F(AbiHost, NameMismatchRefused) {
  std::string why = refusal("    - name: abi.other\n      path: " + kPluginDir + "/bb_abi_ok.so\n");
  EXPECT_NE(why.find("declares the name 'abi.ok'"), std::string::npos) << why;
}

TEST_F(AbiHost, DiscoverListsEveryFileWithItsVerdict) {
  auto found = discoverPlugins({kPluginDir});
  bool saw_ok = false;
  bool saw_null = false;
  for (const auto& d : found) {
    if (d.summary && d.summary->name == "abi.ok") {
      saw_ok = true;
      EXPECT_EQ(d.problem, "");
    }
    if (d.path.find("bb_abi_null_query.so") != std::string::npos) {
      saw_null = true;
      EXPECT_NE(d.problem.find("returned NULL"), std::string::npos);
    }
  }
  EXPECT_TRUE(saw_ok);
  EXPECT_TRUE(saw_null);
}

TEST_F(AbiHost, ShutdownUnloadsAndIsIdempotent) {
  ASSERT_EQ(refusal("    - name: abi.ok\n"), "");
  host_->shutdown();
  EXPECT_TRUE(host_->summaries().empty());
  host_->shutdown();
  EXPECT_NE(log().find("unloaded abi.ok"), std::string::npos);
}

TEST_F(AbiHost, PluginRoutesAreServedThroughTheRouter) {
  ASSERT_EQ(refusal("    - name: abi.routes\n"), "");
  PluginInstance* instance = host_->findInstance("abi.routes", "default");
  ASSERT_NE(instance, nullptr);
  EXPECT_EQ(instance->storageGet("conflict"), std::to_string(BB_ERR_CONFLICT))
      << "a taken route must be refused";

  auto match = router_.match(http::Method::Get, "/api/v1/abi-routes/7");
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.route->permission, "printers:read");
  EXPECT_EQ(match.route->rate_class, http::RateClass::Read);
  http::Request request;
  request.method = http::Method::Get;
  request.path = "/api/v1/abi-routes/7";
  request.params = match.params;
  request.query = {{"q", "x"}};
  request.principal = http::Principal{"key:3", "reader", BB_PERM_PRINTERS_READ, {}, 0, 0, 0};
  http::Response ok = match.route->handler(request);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(nlohmann::json::parse(ok.body), nlohmann::json({{"id", "7"}, {"caller", "key:3"}, {"q", "x"}}));

  auto post = router_.match(http::Method::Post, "/api/v1/abi-routes");
  ASSERT_NE(post.route, nullptr);
  EXPECT_EQ(post.route->permission, "admin");
  http::Response bad = post.route->handler(request);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(nlohmann::json::parse(bad.body),
            nlohmann::json({{"detail", "name must not be empty"}, {"code", "invalid_name"}}));

  auto del = router_.match(http::Method::Delete, "/api/v1/abi-routes/7");
  ASSERT_NE(del.route, nullptr);
  EXPECT_EQ(del.route->permission, "authenticated");
  http::Response broken = del.route->handler(request);
  EXPECT_EQ(broken.status, 500);
  EXPECT_EQ(broken.body.find("secret"), std::string::npos);

  host_->shutdown();
  http::Response gone = match.route->handler(request);
  EXPECT_EQ(gone.status, 503);
  EXPECT_EQ(nlohmann::json::parse(gone.body)["code"], "plugin_unavailable");
}

// ABI 0.4: a plugin route declares its JSON body; the host checks it before the handler, exactly as
// for core routes, and keeps the schema for openapi.json. Bad schemas are refused at registration.
TEST_F(AbiHost, PluginRoutesDeclareTheirBodiesAndTheHostChecksThem) {
  ASSERT_EQ(refusal("    - name: abi.routes\n"), "");
  PluginInstance* instance = host_->findInstance("abi.routes", "default");
  ASSERT_NE(instance, nullptr);
  EXPECT_EQ(instance->storageGet("body"), std::to_string(BB_OK));
  EXPECT_EQ(instance->storageGet("bad_schema"),
            std::to_string(BB_ERR_INVALID_ARGUMENT) + ":invalid_body_schema;" +
                std::to_string(BB_ERR_INVALID_ARGUMENT) + ":invalid_body_schema;");
  EXPECT_EQ(router_.match(http::Method::Patch, "/api/v1/abi-routes/7").route, nullptr)
      << "a refused schema leaves no route behind";

  auto put = router_.match(http::Method::Put, "/api/v1/abi-routes/7");
  ASSERT_NE(put.route, nullptr);
  ASSERT_NE(put.route->body, nullptr);
  EXPECT_EQ(put.route->body->schema()["properties"]["name"]["x-error-code"], "bad_name");
  EXPECT_TRUE(put.route->body->required());
  auto serve = [&](const std::string& body) {
    http::Request request;
    request.method = http::Method::Put;
    request.path = "/api/v1/abi-routes/7";
    request.params = put.params;
    request.body = body;
    request.principal = http::Principal{"key:1", "admin", BB_PERM_ADMIN, {}, 0, 0, 0};
    return http::serve(*put.route, request);
  };
  http::Response ok = serve(R"({"name":"n","size":2})");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(nlohmann::json::parse(ok.body), nlohmann::json({{"name", "n"}, {"size", 2}}))
      << "the handler ran";
  http::Response refused = serve(R"({"name":"","size":0,"colour":1})");
  EXPECT_EQ(refused.status, 400);
  nlohmann::json answer = nlohmann::json::parse(refused.body);
  EXPECT_EQ(answer["code"], "bad_name");
  ASSERT_EQ(answer["errors"].size(), 3u) << refused.body;
  EXPECT_EQ(answer["errors"][0]["path"], "name");
  EXPECT_EQ(serve("").status, 400) << "the body is required";
  EXPECT_EQ(nlohmann::json::parse(serve("[1]").body)["code"], "invalid_body");
  EXPECT_EQ(nlohmann::json::parse(serve(std::string(100, '[')).body)["code"], "json_too_deep");
}

class AbiHostWithoutBodyCheck : public AbiHost {
protected:
  void SetUp() override {
    with_body_check_ = false;
    AbiHost::SetUp();
  }
};

// A host that cannot check bodies (e.g. --check-config) refuses the route instead of serving it
// unchecked.
TEST_F(AbiHostWithoutBodyCheck, RoutesWithABodyAreUnsupported) {
  ASSERT_EQ(refusal("    - name: abi.routes\n"), "");
  PluginInstance* instance = host_->findInstance("abi.routes", "default");
  ASSERT_NE(instance, nullptr);
  EXPECT_EQ(instance->storageGet("body"), std::to_string(BB_ERR_UNSUPPORTED));
  EXPECT_EQ(router_.match(http::Method::Put, "/api/v1/abi-routes/7").route, nullptr);
}

// Regression (issue 13): a plugin route that would shadow a core route was only logged.
TEST_F(AbiHost, PluginRoutesCannotShadowCoreRoutes) {
  http::RouteSpec core;
  core.method = http::Method::Get;
  core.pattern = "/api/v1/printers/{id}";
  core.permission = "printers:read";
  core.rate_class = http::RateClass::Read;
  core.handler = [](const http::Request&) {
    return http::Response::json(200, nlohmann::json{{"core", true}});
  };
  router_.add(core); // the core registers its routes before plugins load
  ASSERT_EQ(refusal("    - name: abi.routes\n"), "");
  PluginInstance* instance = host_->findInstance("abi.routes", "default");
  ASSERT_NE(instance, nullptr);
  EXPECT_EQ(instance->storageGet("shadow"), std::to_string(BB_ERR_CONFLICT));
  EXPECT_NE(core_.log().find("shadowing route refused: GET /api/v1/printers/shadow would shadow the core "
                             "route GET /api/v1/printers/{id}"),
            std::string::npos)
      << core_.log();
  auto match = router_.match(http::Method::Get, "/api/v1/printers/shadow");
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.route->pattern, "/api/v1/printers/{id}") << "the core route still answers";
  // Its other routes were registered.
  EXPECT_NE(router_.match(http::Method::Get, "/api/v1/abi-routes/7").route, nullptr);
}

TEST(RouteShadowing, Rules) {
  auto spec = [](http::Method m, const char* pattern) {
    http::RouteSpec r;
    r.method = m;
    r.pattern = pattern;
    return r;
  };
  const std::vector<http::RouteSpec> core = {
      spec(http::Method::Get, "/api/v1/printers/{id}"), spec(http::Method::Get, "/api/v1/printers/active"),
      spec(http::Method::Post, "/api/v1/queue"), spec(http::Method::Get, "/api/v1/archives/{id}/file")};
  using http::Method;
  // A literal where the core has a parameter takes that value from it.
  EXPECT_EQ(shadowedCoreRoute(core, Method::Get, "/api/v1/printers/mine"), "GET /api/v1/printers/{id}");
  // The same shape is a duplicate.
  EXPECT_EQ(shadowedCoreRoute(core, Method::Get, "/api/v1/printers/{x}"), "GET /api/v1/printers/{id}");
  EXPECT_EQ(shadowedCoreRoute(core, Method::Post, "/api/v1/queue"), "POST /api/v1/queue");
  EXPECT_EQ(shadowedCoreRoute(core, Method::Get, "/api/v1/archives/{a}/file"),
            "GET /api/v1/archives/{id}/file");
  EXPECT_EQ(shadowedCoreRoute(core, Method::Get, "/api/v1/archives/7/file"),
            "GET /api/v1/archives/{id}/file");
  // Not shadowing: another method, another length, a differing literal, or the core's literal wins.
  EXPECT_FALSE(shadowedCoreRoute(core, Method::Delete, "/api/v1/printers/mine"));
  EXPECT_FALSE(shadowedCoreRoute(core, Method::Get, "/api/v1/printers/mine/extra"));
  EXPECT_FALSE(shadowedCoreRoute(core, Method::Get, "/api/v1/archives/{id}/thumbnail"));
  EXPECT_FALSE(shadowedCoreRoute(core, Method::Get, "/api/v1/plugin-things/{id}"));
  EXPECT_FALSE(shadowedCoreRoute(core, Method::Post, "/api/v1/{x}")) << "the core's literal beats it";
}

TEST(AbiRules, VersionRuleTable) {
  EXPECT_FALSE(checkAbiVersion(1, 3, 1, 3));
  EXPECT_FALSE(checkAbiVersion(1, 3, 1, 0)); // older minor fine once the major is >= 1
  EXPECT_TRUE(checkAbiVersion(1, 3, 1, 4));
  EXPECT_TRUE(checkAbiVersion(1, 3, 2, 0));
  EXPECT_TRUE(checkAbiVersion(0, 3, 0, 2));
  EXPECT_FALSE(checkAbiVersion(0, 3, 0, 3));
}

} // namespace
} // namespace bambuddy::plugins
