#include "config/core_config.h"

#include "config/core_schema.h"

#include "support/temp_dir.h"

#include <filesystem>

#include <gtest/gtest.h>

namespace bambuddy::config {
namespace core_config_test {

namespace fs = std::filesystem;
using nlohmann::json;

// config/ at the top of the source tree, found from this file so the test runs from any directory.
fs::path repoConfigDir() {
  return fs::path(BAMBUDDY_SOURCE_DIR) / "config";
}

Environment testEnv() {
  Environment env;
  env.exe_dir = "/opt/bambuddy/bin";
  return env;
}

std::vector<std::string> errorsOf(const std::string& yaml, const Environment& env = testEnv(),
                                  const std::string& file = "/etc/bambuddy/bambuddy.yaml") {
  try {
    parseCoreConfig(yaml, file, env);
  } catch (const ConfigException& e) {
    std::vector<std::string> out;
    for (const ConfigError& error : e.errors()) {
      out.push_back(error.format());
    }
    return out;
  }
  ADD_FAILURE() << "expected a ConfigException for:\n" << yaml;
  return {};
}

CoreConfig parse(const std::string& yaml, const Environment& env = testEnv()) {
  return parseCoreConfig(yaml, "/etc/bambuddy/bambuddy.yaml", env);
}

TEST(CoreConfig, EmptyFileGivesDefaults) {
  CoreConfig config = parse("");
  EXPECT_EQ(config.config_file, "/etc/bambuddy/bambuddy.yaml");
  EXPECT_EQ(config.data_dir, "/etc/bambuddy/data");
  EXPECT_EQ(config.server.listen_host, "127.0.0.1");
  EXPECT_EQ(config.server.listen_port, 8000);
  EXPECT_EQ(config.server.threads, 2);
  EXPECT_EQ(config.server.worker_threads, 4);
  EXPECT_EQ(config.database.path, "/etc/bambuddy/data/bambuddy.db");
  EXPECT_EQ(config.database.pool_size, 4);
  EXPECT_EQ(config.bus.queue_capacity, 10000u);
  EXPECT_EQ(config.bus.dispatch_threads, 1);
  EXPECT_EQ(config.log_level, LogLevel::Info);
  EXPECT_EQ(config.plugin_search_path,
            (std::vector<std::string>{"/opt/bambuddy/bin/plugins", "/opt/bambuddy/lib/bambuddy/plugins"}));
  EXPECT_TRUE(config.plugins.empty());
  EXPECT_TRUE(config.document.json.is_null());
}

// The struct initialisers and the schema's "default" values must agree: a config with no
// sections gets the schema's defaults, a default-constructed struct gets the initialisers.
TEST(CoreConfig, StructDefaultsMatchSchemaDefaults) {
  json schema = json::parse(kCoreSchemaJson);
  const json& props = schema["properties"];
  ServerConfig server;
  const json& s = props["server"]["properties"];
  EXPECT_EQ(s["listen"]["default"], server.listen_host + ":" + std::to_string(server.listen_port));
  EXPECT_EQ(s["threads"]["default"], server.threads);
  EXPECT_EQ(s["worker_threads"]["default"], server.worker_threads);
  EXPECT_EQ(s["max_request_size_bytes"]["default"], server.max_request_size_bytes);
  EXPECT_EQ(s["keepalive_timeout_ms"]["default"], server.keepalive_timeout_ms);
  EXPECT_EQ(s["header_timeout_ms"]["default"], server.header_timeout_ms);
  EXPECT_EQ(s["body_timeout_ms"]["default"], server.body_timeout_ms);
  EXPECT_EQ(s["shutdown_grace_ms"]["default"], server.shutdown_grace_ms);
  const json& stream = s["event_stream"]["properties"];
  EXPECT_EQ(stream["per_key_limit"]["default"], server.streams_per_key);
  EXPECT_EQ(stream["max_streams"]["default"], server.max_streams);
  EXPECT_EQ(stream["max_buffer_bytes"]["default"], server.stream_buffer_bytes);
  DatabaseConfig database;
  EXPECT_EQ(props["database"]["properties"]["pool_size"]["default"], database.pool_size);
  EXPECT_EQ(props["database"]["properties"]["busy_timeout_ms"]["default"], database.busy_timeout_ms);
  BusConfig bus;
  EXPECT_EQ(props["bus"]["properties"]["queue_capacity"]["default"], bus.queue_capacity);
  EXPECT_EQ(props["bus"]["properties"]["dispatch_threads"]["default"], bus.dispatch_threads);
  EXPECT_EQ(props["log"]["properties"]["level"]["default"], "info");
}

TEST(CoreConfig, EveryKeyIsRead) {
  CoreConfig config = parse(R"(
data_dir: /var/lib/bambuddy
server:
  listen: "[::1]:9000"
  threads: 3
  worker_threads: 5
  max_request_size_bytes: 2048
  keepalive_timeout_ms: 1000
  header_timeout_ms: 1100
  body_timeout_ms: 1200
  shutdown_grace_ms: 0
database: {path: db/main.sqlite, pool_size: 2, busy_timeout_ms: 250}
bus: {queue_capacity: 5, dispatch_threads: 2}
log: {level: debug}
plugins:
  search_path: [/usr/lib/x, rel/plugins]
  load:
    - name: storage.local
    - name: notifier.webhook
      required: false
      config: {timeout_ms: 5}
      instances:
        - id: ha
          settings: {url: "http://127.0.0.1/x"}
        - id: nr
)");
  EXPECT_EQ(config.data_dir, "/var/lib/bambuddy");
  EXPECT_EQ(config.server.listen_host, "::1");
  EXPECT_EQ(config.server.listen_port, 9000);
  EXPECT_EQ(config.server.threads, 3);
  EXPECT_EQ(config.server.worker_threads, 5);
  EXPECT_EQ(config.server.max_request_size_bytes, 2048);
  EXPECT_EQ(config.server.keepalive_timeout_ms, 1000);
  EXPECT_EQ(config.server.header_timeout_ms, 1100);
  EXPECT_EQ(config.server.body_timeout_ms, 1200);
  EXPECT_EQ(config.server.shutdown_grace_ms, 0);
  EXPECT_EQ(config.database.path, "/var/lib/bambuddy/db/main.sqlite");
  EXPECT_EQ(config.database.pool_size, 2);
  EXPECT_EQ(config.database.busy_timeout_ms, 250);
  EXPECT_EQ(config.bus.queue_capacity, 5u);
  EXPECT_EQ(config.bus.dispatch_threads, 2);
  EXPECT_EQ(config.log_level, LogLevel::Debug);
  EXPECT_EQ(config.plugin_search_path, (std::vector<std::string>{"/usr/lib/x", "/etc/bambuddy/rel/plugins"}));
  ASSERT_EQ(config.plugins.size(), 2u);
  const PluginEntryConfig& storage = config.plugins[0];
  EXPECT_EQ(storage.name, "storage.local");
  EXPECT_TRUE(storage.required);
  EXPECT_EQ(storage.config, json::object());
  EXPECT_FALSE(storage.instances_given);
  EXPECT_EQ(storage.pointer, "/plugins/load/0");
  const PluginEntryConfig& webhook = config.plugins[1];
  EXPECT_FALSE(webhook.required);
  EXPECT_EQ(webhook.config, json::parse(R"({"timeout_ms": 5})"));
  EXPECT_TRUE(webhook.instances_given);
  ASSERT_EQ(webhook.instances.size(), 2u);
  EXPECT_EQ(webhook.instances[0].id, "ha");
  EXPECT_EQ(webhook.instances[0].settings, json::parse(R"({"url": "http://127.0.0.1/x"})"));
  EXPECT_EQ(webhook.instances[0].pointer, "/plugins/load/1/instances/0");
  EXPECT_EQ(webhook.instances[1].settings, json::object());
  // The kept document maps a plugin's pointers back to lines.
  EXPECT_EQ(config.document.lineOf(webhook.pointer + "/config/timeout_ms"), 21);
  EXPECT_EQ(config.document.lineOf(webhook.instances[1].pointer + "/settings/url"), 25);
}

TEST(CoreConfig, TypeErrorFormat) {
  EXPECT_EQ(errorsOf("# comment\ndata_dir: d\nserver: {threads: \"x\"}\n"),
            (std::vector<std::string>{
                "/etc/bambuddy/bambuddy.yaml:3 server.threads: expected integer, got string"}));
}

TEST(CoreConfig, MissingRequiredKeyReportsTheParentLine) {
  EXPECT_EQ(errorsOf(R"(plugins:
  load:
    - name: storage.local
    - required: false
      config: {}
)",
                     testEnv(), "config/bambuddy.yaml"),
            (std::vector<std::string>{"config/bambuddy.yaml:4 plugins.load[1].name: required"}));
  EXPECT_EQ(
      errorsOf("plugins:\n  load:\n    - name: a.b\n      instances:\n        - settings: {}\n"),
      (std::vector<std::string>{"/etc/bambuddy/bambuddy.yaml:5 plugins.load[0].instances[0].id: required"}));
}

TEST(CoreConfig, UnknownKeysAreErrors) {
  EXPECT_EQ(errorsOf("server:\n  listen: 127.0.0.1:1\n  treads: 4\nloglevel: info\n"),
            (std::vector<std::string>{"/etc/bambuddy/bambuddy.yaml:3 server.treads: unknown key",
                                      "/etc/bambuddy/bambuddy.yaml:4 loglevel: unknown key"}));
}

TEST(CoreConfig, AllIssuesAreReportedSortedByLine) {
  EXPECT_EQ(errorsOf(R"(log:
  level: loud
server:
  threads: 0
  listen: nowhere
plugins:
  load:
    - name: Bad
)"),
            (std::vector<std::string>{
                "/etc/bambuddy/bambuddy.yaml:2 log.level: must be one of: debug, info, warn, error",
                "/etc/bambuddy/bambuddy.yaml:4 server.threads: must be >= 1",
                "/etc/bambuddy/bambuddy.yaml:5 server.listen: missing port (expected host:port)",
                "/etc/bambuddy/bambuddy.yaml:8 plugins.load[0].name: does not match pattern "
                "^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$",
            }));
}

TEST(CoreConfig, RootMustBeAMapping) {
  EXPECT_EQ(errorsOf("- a\n- b\n"),
            (std::vector<std::string>{"/etc/bambuddy/bambuddy.yaml:1: expected object, got array"}));
}

TEST(CoreConfig, DuplicateInstanceIdsAndPluginNames) {
  EXPECT_EQ(
      errorsOf(R"(plugins:
  load:
    - name: printer.sim
      instances:
        - id: p1
        - id: p2
        - id: p1
    - name: printer.sim
)"),
      (std::vector<std::string>{
          "/etc/bambuddy/bambuddy.yaml:7 plugins.load[0].instances[2].id: duplicate instance id 'p1' (also "
          "at "
          "plugins.load[0].instances[0])",
          "/etc/bambuddy/bambuddy.yaml:8 plugins.load[1].name: plugin 'printer.sim' is already listed at "
          "plugins.load[0]; list it once and give it several instances",
      }));
}

TEST(CoreConfig, DuplicateYamlKeysAreErrors) {
  EXPECT_EQ(errorsOf("server:\n  threads: 2\nserver:\n  threads: 3\n"),
            (std::vector<std::string>{
                "/etc/bambuddy/bambuddy.yaml:3 server: duplicate key (first defined on line 1)"}));
}

TEST(CoreConfig, RelativePathsResolveAgainstTheConfigFile) {
  CoreConfig config =
      parse("data_dir: ../state\ndatabase: {path: /abs/db.sqlite}\nplugins: {search_path: [./p, ../q/]}\n");
  EXPECT_EQ(config.data_dir, "/etc/state");
  EXPECT_EQ(config.database.path, "/abs/db.sqlite");
  EXPECT_EQ(config.plugin_search_path, (std::vector<std::string>{"/etc/bambuddy/p", "/etc/q"}));
  EXPECT_EQ(parse("database: {path: ':memory:'}\n").database.path, ":memory:");
}

TEST(CoreConfig, RelativeFileNameResolvesAgainstTheWorkingDirectory) {
  CoreConfig config = parseCoreConfig("data_dir: data\n", "conf/b.yaml", testEnv());
  fs::path cwd = fs::current_path();
  EXPECT_EQ(config.config_file, (cwd / "conf/b.yaml").string());
  EXPECT_EQ(config.data_dir, (cwd / "conf/data").string());
}

TEST(CoreConfig, EnvironmentOverrides) {
  Environment env = testEnv();
  env.data_dir = "/srv/data";
  env.listen = "0.0.0.0:9999";
  CoreConfig config = parse("data_dir: elsewhere\nserver: {listen: 127.0.0.1:1}\n", env);
  EXPECT_EQ(config.data_dir, "/srv/data");
  EXPECT_EQ(config.database.path, "/srv/data/bambuddy.db");
  EXPECT_EQ(config.server.listen_host, "0.0.0.0");
  EXPECT_EQ(config.server.listen_port, 9999);

  env.data_dir = "relative/dir";
  EXPECT_EQ(parse("", env).data_dir, (fs::current_path() / "relative/dir").string());

  env.database_url = "postgresql://bb@127.0.0.1:5432/farm";
  EXPECT_EQ(parse("database: {url: 'postgresql://other@db/x'}\n", env).database.url,
            "postgresql://bb@127.0.0.1:5432/farm");
}

TEST(CoreConfig, BadEnvironmentValuesNameTheVariable) {
  Environment env = testEnv();
  env.listen = "localhost";
  env.data_dir = "";
  EXPECT_EQ(errorsOf("server: {threads: 0}\n", env),
            (std::vector<std::string>{"/etc/bambuddy/bambuddy.yaml:1 server.threads: must be >= 1",
                                      "BAMBUDDY_DATA_DIR: must not be empty",
                                      "BAMBUDDY_LISTEN=localhost: missing port (expected host:port)"}));
  // An override replaces a bad file value, so only the variable is checked.
  env = testEnv();
  env.listen = "[::1]:8";
  EXPECT_EQ(parse("server: {listen: bad}\n", env).server.listen_port, 8);
}

TEST(CoreConfig, FromProcessReadsTheEnvironment) {
  setenv("BAMBUDDY_DATA_DIR", "/tmp/x", 1);
  setenv("BAMBUDDY_LISTEN", "", 1);
  setenv("BAMBUDDY_DATABASE_URL", "postgresql://bb@127.0.0.1/farm", 1);
  Environment env = Environment::fromProcess();
  unsetenv("BAMBUDDY_DATA_DIR");
  unsetenv("BAMBUDDY_LISTEN");
  unsetenv("BAMBUDDY_DATABASE_URL");
  EXPECT_EQ(env.data_dir, std::optional<std::string>("/tmp/x"));
  EXPECT_EQ(env.database_url, std::optional<std::string>("postgresql://bb@127.0.0.1/farm"));
  EXPECT_FALSE(env.listen.has_value()); // empty counts as unset
  EXPECT_FALSE(env.exe_dir.empty());
  EXPECT_TRUE(fs::exists(fs::path(env.exe_dir) / "unit_config")) << env.exe_dir;
}

TEST(CoreConfig, LoadFromFile) {
  testing::TempDir dir;
  std::string path = dir.write("conf/bambuddy.yaml", "data_dir: ../d\nserver:\n  threads: x\n");
  try {
    loadCoreConfig(path, testEnv());
    FAIL() << "expected an error";
  } catch (const ConfigException& e) {
    ASSERT_EQ(e.errors().size(), 1u);
    EXPECT_EQ(e.errors()[0].format(), path + ":3 server.threads: expected integer, got string");
  }
  dir.write("conf/bambuddy.yaml", "data_dir: ../d\n");
  EXPECT_EQ(loadCoreConfig(path, testEnv()).data_dir, dir.path() + "/d");
  EXPECT_THROW(loadCoreConfig(dir.file("none.yaml"), testEnv()), ConfigException);
}

TEST(CoreConfig, ShippedDefaultConfigIsValid) {
  fs::path path = repoConfigDir() / "bambuddy.yaml";
  CoreConfig config = loadCoreConfig(path.string(), testEnv());
  EXPECT_EQ(config.data_dir, (repoConfigDir().parent_path() / "data").string());
  EXPECT_EQ(config.server.listen_host, "127.0.0.1");
  EXPECT_EQ(config.server.listen_port, 8000);
  ASSERT_FALSE(config.plugins.empty());
  EXPECT_EQ(config.plugins[0].name, "storage.local");
  EXPECT_TRUE(config.plugins[0].required);
  EXPECT_FALSE(config.plugins[0].instances_given);
}

TEST(CoreConfig, FullExampleIsValidAndSetsEveryKey) {
  fs::path path = repoConfigDir() / "examples" / "full.yaml";
  CoreConfig config = loadCoreConfig(path.string(), testEnv());
  EXPECT_EQ(config.plugins.size(), 2u);
  // Every key of the core schema appears in the example: set, or (for a key that changes what the
  // example is, such as database.url switching to PostgreSQL) shown commented out in its section.
  LoadedDocument doc = loadYamlFile(path.string());
  const std::string text = bambuddy::testing::readFile(path.string());
  json schema = json::parse(kCoreSchemaJson);
  for (auto& [section, sub] : schema["properties"].items()) {
    ASSERT_TRUE(doc.json.contains(section)) << section;
    if (sub.contains("properties")) {
      for (auto& [key, ignored] : sub["properties"].items()) {
        const size_t section_at = text.find("\n" + section + ":");
        const size_t next_section = text.find("\n\n", section_at);
        const size_t commented = text.find("\n  # " + key + ": ", section_at);
        EXPECT_TRUE(doc.json[section].contains(key) ||
                    (commented != std::string::npos && commented < next_section))
            << section << "." << key;
      }
    }
  }
}

TEST(ListenParsing, Accepted) {
  struct Case {
    const char* text;
    const char* host;
    uint16_t port;
  };
  for (const Case& c : {Case{"127.0.0.1:8080", "127.0.0.1", 8080}, Case{"[::1]:0", "::1", 0},
                        Case{"localhost:80", "localhost", 80}, Case{"0.0.0.0:65535", "0.0.0.0", 65535},
                        Case{"[fe80::1%eth0]:443", "fe80::1%eth0", 443}}) {
    std::string host;
    uint16_t port = 1;
    std::string error;
    EXPECT_TRUE(parseListen(c.text, host, port, error)) << c.text << ": " << error;
    EXPECT_EQ(host, c.host);
    EXPECT_EQ(port, c.port);
  }
}

TEST(ListenParsing, Refused) {
  struct Case {
    const char* text;
    const char* error;
  };
  for (const Case& c :
       {Case{"127.0.0.1", "missing port"}, Case{"127.0.0.1:", "missing port"}, Case{"[::1]", "missing port"},
        Case{"[::1]:", "missing port"}, Case{":8080", "empty host"}, Case{"[]:80", "empty host"},
        Case{"host:65536", "port must be a number from 0 to 65535"},
        Case{"host:-1", "port must be a number from 0 to 65535"},
        Case{"host:80x", "port must be a number from 0 to 65535"},
        Case{"::1:80", "IPv6 addresses need brackets, e.g. [::1]:8080"},
        Case{"[::1:80", "missing ']' after IPv6 address"}, Case{"", "missing port"},
        Case{"a b:80", "invalid character in host"}}) {
    std::string host = "unchanged";
    uint16_t port = 7;
    std::string error;
    EXPECT_FALSE(parseListen(c.text, host, port, error)) << c.text;
    EXPECT_EQ(error, c.error) << c.text;
    EXPECT_EQ(host, "unchanged");
    EXPECT_EQ(port, 7);
  }
}

} // namespace core_config_test
} // namespace bambuddy::config

namespace bambuddy::config {
namespace core_config_test {

TEST(CoreConfigWebRoot, ExplicitDirectoryMustHoldABuiltUi) {
  testing::TempDir dir;
  dir.write("ui/index.html", "<!doctype html>");
  Environment env = testEnv();
  CoreConfig config = parseCoreConfig("server: {web_root: ui}\n", dir.file("bambuddy.yaml"), env);
  EXPECT_EQ(config.server.web_root, dir.file("ui")) << "relative to the config file's directory";

  auto errors = errorsOf("server:\n  web_root: nothing-here\n", env, dir.file("bambuddy.yaml"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find(":2 server.web_root: no index.html in " + dir.file("nothing-here")),
            std::string::npos)
      << errors[0];
}

TEST(CoreConfigWebRoot, DefaultIsWebNextToTheExecutableWhenBuilt) {
  testing::TempDir exe;
  Environment env;
  env.exe_dir = exe.path();
  EXPECT_EQ(parseCoreConfig("", "/etc/bambuddy/bambuddy.yaml", env).server.web_root, "")
      << "no build, no UI, no error";
  exe.write("web/index.html", "<!doctype html>");
  EXPECT_EQ(parseCoreConfig("", "/etc/bambuddy/bambuddy.yaml", env).server.web_root, exe.file("web"));
  EXPECT_EQ(parseCoreConfig("server: {web_ui: false}\n", "/etc/bambuddy/bambuddy.yaml", env).server.web_root,
            "")
      << "web_ui: false turns it off";
}

} // namespace core_config_test
} // namespace bambuddy::config
