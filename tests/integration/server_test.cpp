// The real server binary, started on port 0 with real plugins and a temp data directory.
#include "support/http_client.h"
#include "support/server_process.h"
#include "support/shared_postgres.h"
#include "support/temp_dir.h"

#include <bambuddy/abi.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>

namespace bambuddy::testing {
namespace server_test {

const std::string kAbiPluginDir = ABI_PLUGIN_DIR;
// A fixed key with 256 bits of entropy (the server refuses a weak BAMBUDDY_ADMIN_KEY).
const std::string kAdminKey = "bb_yeOuNUPEBCA7ZNIKdB_SRM7wtOu8iIG20ow-oVCOWpA";
const std::vector<std::pair<std::string, std::string>> kAuth = {{"X-API-Key", kAdminKey}};

class ServerTest : public ::testing::Test {
protected:
  // A config listening on an ephemeral loopback port with storage.local, plus `extra_load` items.
  std::string writeConfig(const std::string& extra_load = "", const std::string& extra_top = "") {
    std::string yaml = "server:\n"
                       "  listen: 127.0.0.1:0\n"
                       "  max_request_size_bytes: 65536\n"
                       "data_dir: " +
                       dir_.file("data") + "\n" + extra_top +
                       "plugins:\n"
                       "  search_path: [" +
                       pluginDir() + ", " + kAbiPluginDir +
                       "]\n"
                       "  load:\n"
                       "    - name: storage.local\n"
                       "    - name: auth.apikey\n" +
                       extra_load;
    return dir_.write("bambuddy.yaml", yaml);
  }

  std::unique_ptr<ServerProcess> start(const std::string& config,
                                       std::map<std::string, std::string> env = {}) {
    env.emplace("BAMBUDDY_ADMIN_KEY", kAdminKey);
    auto server =
        std::make_unique<ServerProcess>(serverBinary(), std::vector<std::string>{"--config", config}, env);
    EXPECT_TRUE(server->waitReady()) << server->log();
    return server;
  }

  TempDir dir_;
};

TEST_F(ServerTest, HealthAnswersJson) {
  auto server = start(writeConfig());
  auto r = httpRequest("127.0.0.1", server->port(), "GET", "/health");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(nlohmann::json::parse(r.body), nlohmann::json({{"status", "ok"}}));
  EXPECT_NE(r.headers["content-type"].find("application/json"), std::string::npos);
  EXPECT_EQ(server->stop(), 0) << server->log();
}

TEST_F(ServerTest, PluginsEndpointListsLoadedPlugins) {
  auto server = start(writeConfig());
  auto r = httpRequest("127.0.0.1", server->port(), "GET", "/api/v1/plugins", "", kAuth);
  ASSERT_EQ(r.status, 200) << r.error;
  auto body = nlohmann::json::parse(r.body);
  ASSERT_EQ(body["total"], 2);
  EXPECT_EQ(body["offset"], 0);
  const auto& p = body["items"][0];
  EXPECT_EQ(p["name"], "storage.local");
  EXPECT_EQ(p["kind"], "storage");
  EXPECT_EQ(p["abi"], std::to_string(BB_ABI_MAJOR) + "." + std::to_string(BB_ABI_MINOR));
  EXPECT_EQ(p["instances"], nlohmann::json::array({"default"}));
  EXPECT_FALSE(p["version"].get<std::string>().empty());

  auto bad = httpRequest("127.0.0.1", server->port(), "GET", "/api/v1/plugins?limit=0", "", kAuth);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(nlohmann::json::parse(bad.body)["code"], "invalid_parameter");
}

TEST_F(ServerTest, UnknownRouteAndWrongMethodAnswerJson) {
  auto server = start(writeConfig());
  auto missing = httpRequest("127.0.0.1", server->port(), "GET", "/api/v1/nothing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(nlohmann::json::parse(missing.body)["code"], "not_found");
  auto wrong = httpRequest("127.0.0.1", server->port(), "DELETE", "/health");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(nlohmann::json::parse(wrong.body)["code"], "method_not_allowed");
  EXPECT_NE(wrong.headers["allow"].find("GET"), std::string::npos);
}

TEST_F(ServerTest, OversizedBodyIsRefusedAndServerKeepsServing) {
  auto server = start(writeConfig());
  // Routed before the body is read: a body for a route that takes none is refused as such.
  auto wrong_route = httpRequest("127.0.0.1", server->port(), "POST", "/health", std::string(200000, 'x'));
  EXPECT_EQ(wrong_route.status, 405) << wrong_route.error;
  auto r =
      httpRequest("127.0.0.1", server->port(), "PATCH", "/api/v1/settings", std::string(200000, 'x'), kAuth);
  EXPECT_EQ(r.status, 413) << r.error;
  EXPECT_EQ(nlohmann::json::parse(r.body, nullptr, false).value("code", ""), "request_too_large") << r.body;
  EXPECT_EQ(httpRequest("127.0.0.1", server->port(), "GET", "/health").status, 200);
}

TEST_F(ServerTest, AccessLogHasOneLinePerRequestWithoutQueryString) {
  auto server = start(writeConfig());
  ASSERT_EQ(httpRequest("127.0.0.1", server->port(), "GET", "/api/v1/plugins?token=sekret", "", kAuth).status,
            200);
  ASSERT_EQ(server->stop(), 0);
  std::string log = server->log();
  EXPECT_NE(log.find("GET /api/v1/plugins 200"), std::string::npos) << log;
  EXPECT_EQ(log.find("sekret"), std::string::npos) << log;
}

TEST_F(ServerTest, SigtermStopsCleanlyAndUnloadsPlugins) {
  auto server = start(writeConfig());
  EXPECT_EQ(server->stop(), 0);
  std::string log = server->log();
  EXPECT_NE(log.find("received SIGTERM"), std::string::npos) << log;
  EXPECT_NE(log.find("unloaded storage.local"), std::string::npos) << log;
  EXPECT_NE(log.find("stopped"), std::string::npos) << log;
}

TEST_F(ServerTest, DatabaseIsCreatedInDataDirWithWal) {
  auto server = start(writeConfig());
  if (onSharedPostgres()) { // BAMBUDDY_DATABASE_URL wins: no SQLite file beside the PostgreSQL database
    EXPECT_FALSE(std::filesystem::exists(dir_.file("data/bambuddy.db")));
  } else {
    EXPECT_TRUE(std::filesystem::exists(dir_.file("data/bambuddy.db")));
    EXPECT_TRUE(std::filesystem::exists(dir_.file("data/bambuddy.db-wal")));
  }
  EXPECT_TRUE(std::filesystem::is_directory(dir_.file("data/plugins/storage.local/default")));
}

TEST_F(ServerTest, EnvironmentOverridesDataDirAndListen) {
  std::string config = dir_.write("env.yaml", "server:\n  listen: 127.0.0.1:1\n"
                                              "plugins:\n  search_path: [" +
                                                  pluginDir() + "]\n  load: [{name: storage.local}]\n");
  auto server =
      start(config, {{"BAMBUDDY_DATA_DIR", dir_.file("envdata")}, {"BAMBUDDY_LISTEN", "127.0.0.1:0"}});
  EXPECT_EQ(httpRequest("127.0.0.1", server->port(), "GET", "/health").status, 200);
  EXPECT_TRUE(std::filesystem::is_directory(dir_.file("envdata/plugins/storage.local")));
  EXPECT_EQ(std::filesystem::exists(dir_.file("envdata/bambuddy.db")), !onSharedPostgres());
}

TEST_F(ServerTest, ListensOnIpv6Loopback) {
  std::string config = writeConfig();
  auto server = start(config, {{"BAMBUDDY_LISTEN", "[::1]:0"}});
  auto r = httpRequest("::1", server->port(), "GET", "/health");
  EXPECT_EQ(r.status, 200) << r.error;
}

TEST_F(ServerTest, ConfigErrorExitsWith2NamingFileLineAndPath) {
  std::string config = dir_.write("bad.yaml", "server:\n"
                                              "  listen: 127.0.0.1:0\n"
                                              "  threads: many\n"
                                              "colour: blue\n");
  auto r = runProcess({serverBinary(), "--config", config});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find(config + ":3 server.threads: expected integer, got string"), std::string::npos)
      << r.stderr_text;
  EXPECT_NE(r.stderr_text.find(config + ":4 colour: unknown key"), std::string::npos) << r.stderr_text;
}

TEST_F(ServerTest, PluginConfigErrorExitsWith2) {
  std::string config = writeConfig("", "");
  std::string yaml = testing::readFile(config) + "      config:\n        no_such_option: 1\n";
  config = dir_.write("bambuddy.yaml", yaml);
  auto r = runProcess({serverBinary(), "--config", config});
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("plugins.load[1].config.no_such_option: unknown key"), std::string::npos)
      << r.stderr_text;
}

TEST_F(ServerTest, CheckConfigValidatesWithoutStarting) {
  auto ok = runProcess({serverBinary(), "--check-config", writeConfig()});
  EXPECT_EQ(ok.exit_code, 0) << ok.stderr_text;
  EXPECT_NE(ok.stdout_text.find("OK"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir_.file("data/bambuddy.db")))
      << "--check-config must not touch data";

  std::string bad = dir_.write("bad.yaml", testing::readFile(dir_.file("bambuddy.yaml")) +
                                               "    - name: abi.schema\n      config: {qos: 9}\n");
  auto r = runProcess({serverBinary(), "--check-config", bad});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find(bad + ":11 plugins.load[2].config.topic: required"), std::string::npos)
      << r.stderr_text;
  EXPECT_NE(r.stderr_text.find(bad + ":11 plugins.load[2].config.qos: must be <= 2"), std::string::npos)
      << r.stderr_text;
}

TEST_F(ServerTest, ListPluginsShowsSearchPathContents) {
  auto r = runProcess({serverBinary(), "--list-plugins", "--config", writeConfig()});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("storage.local\t"), std::string::npos) << r.stdout_text;
  EXPECT_TRUE(std::regex_search(
      r.stdout_text, std::regex("bb_abi_other_major\\.so\t[^\n]*REFUSED: ABI major version differs")))
      << r.stdout_text;
  EXPECT_TRUE(std::regex_search(r.stdout_text,
                                std::regex("bb_abi_dup_b\\.so\t[^\n]*REFUSED: duplicate name 'abi.dup'")))
      << r.stdout_text;
}

TEST_F(ServerTest, RequiredPluginRefusedExitsWith3) {
  auto r = runProcess({serverBinary(), "--config", writeConfig("    - name: abi.other_major\n")});
  EXPECT_EQ(r.exit_code, 3) << r.stderr_text;
  std::string versions = "plugin ABI " + std::to_string(BB_ABI_MAJOR + 1) + ".0, host ABI " +
                         std::to_string(BB_ABI_MAJOR) + "." + std::to_string(BB_ABI_MINOR);
  EXPECT_NE(r.stderr_text.find(versions), std::string::npos) << r.stderr_text;
}

TEST_F(ServerTest, OptionalPluginFailuresDoNotStopTheServer) {
  auto server = start(writeConfig("    - name: abi.create_throws\n      required: false\n"
                                  "    - name: abi.null_query\n      required: false\n"));
  auto r = httpRequest("127.0.0.1", server->port(), "GET", "/api/v1/plugins", "", kAuth);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(r.body)["total"], 2);
  std::string log = server->log();
  EXPECT_NE(log.find("disk on fire"), std::string::npos) << log;
  EXPECT_NE(log.find("returned NULL"), std::string::npos) << log;
}

TEST_F(ServerTest, PortInUseFailsWithExit1) {
  auto first = start(writeConfig());
  std::string config =
      dir_.write("second.yaml", "server:\n  listen: 127.0.0.1:" + std::to_string(first->port()) +
                                    "\ndata_dir: " + dir_.file("data2") + "\n");
  auto r = runProcess({serverBinary(), "--config", config});
  EXPECT_EQ(r.exit_code, 1) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("in use"), std::string::npos) << r.stderr_text;
}

TEST_F(ServerTest, UnknownArgumentIsUsageError) {
  auto r = runProcess({serverBinary(), "--frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("unknown argument '--frobnicate'"), std::string::npos);
}

TEST_F(ServerTest, ShippedDefaultConfigIsValid) {
  auto r = runProcess({serverBinary(), "--check-config", std::string(SOURCE_DIR) + "/config/bambuddy.yaml"},
                      {{"BAMBUDDY_DATA_DIR", dir_.file("d")}});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
}

// The soft limit of open files in /proc/<pid>/limits ("Max open files  <soft>  <hard>  files").
uint64_t softFileLimit(pid_t pid) {
  std::istringstream lines(testing::readFile("/proc/" + std::to_string(pid) + "/limits"));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("Max open files", 0) == 0) {
      std::istringstream fields(line.substr(std::strlen("Max open files")));
      uint64_t soft = 0;
      fields >> soft;
      return soft;
    }
  }
  return 0;
}

TEST_F(ServerTest, RaisesTheOpenFileLimitToTheHardLimitAndWarnsWhenItIsLow) {
  // Started as Debian starts shells and services: a low soft limit under a higher hard one
  // (util-linux's prlimit sets them, then runs the server in its own process).
  std::map<std::string, std::string> env{{"BAMBUDDY_ADMIN_KEY", kAdminKey}};
  ServerProcess server("/usr/bin/prlimit", {"--nofile=512:2048", serverBinary(), "--config", writeConfig()},
                       env);
  ASSERT_TRUE(server.waitReady()) << server.log();
  EXPECT_EQ(softFileLimit(server.pid()), 2048u);
  const std::string log = server.log();
  EXPECT_NE(log.find("open-file limit raised from 512 to 2048"), std::string::npos) << log;
  EXPECT_NE(log.find("the open-file limit is 2048 (the hard limit)"), std::string::npos) << log;
  EXPECT_EQ(server.stop(), 0) << server.log();
}

} // namespace server_test
} // namespace bambuddy::testing
