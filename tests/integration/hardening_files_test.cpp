// Issue 13 parts 7 and 8 against the real server: private files (umask 077, data directory 0700,
// database/WAL/blobs 0600, a warning for an existing open data directory), plugin routes that
// would shadow core routes, and the BAMBUDDY_ADMIN_KEY bootstrap (once only, never weak).
#include "support/http_client.h"
#include "support/server_process.h"
#include "support/shared_postgres.h"
#include "support/temp_dir.h"
#include "support/three_mf_sample.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace bambuddy::testing {
namespace hardening_files_test {

using nlohmann::json;

const std::string kAbiPluginDir = ABI_PLUGIN_DIR;
// A fixed key with 256 bits of entropy.
const std::string kAdminKey = "bb_h7Tq2Vx9Kc4Lm1Np8Rs3Wz6Yb0Dg5Fj-A_eUoIiEk7Q";

unsigned modeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return static_cast<unsigned>(st.st_mode) & 07777u;
}

class HardeningFilesTest : public ::testing::Test {
protected:
  std::string config(const std::string& extra_load = "") {
    return dir_.write("bambuddy.yaml", "server:\n  listen: 127.0.0.1:0\n"
                                       "data_dir: " +
                                           dataDir() + "\nplugins:\n  search_path: [" + pluginDir() + ", " +
                                           kAbiPluginDir +
                                           "]\n  load:\n    - name: storage.local\n"
                                           "    - name: auth.apikey\n" +
                                           extra_load);
  }
  std::string dataDir() const { return dir_.file("data"); }

  std::unique_ptr<ServerProcess> start(const std::string& admin_key, const std::string& extra_load = "") {
    auto server = std::make_unique<ServerProcess>(
        serverBinary(), std::vector<std::string>{"--config", config(extra_load)},
        std::map<std::string, std::string>{{"BAMBUDDY_ADMIN_KEY", admin_key}});
    EXPECT_TRUE(server->waitReady()) << server->log();
    return server;
  }

  HttpResult call(const ServerProcess& server, const std::string& method, const std::string& path,
                  const std::string& key, const std::string& body = "") {
    std::vector<std::pair<std::string, std::string>> headers{{"X-API-Key", key}};
    if (!body.empty()) {
      headers.emplace_back("Content-Type", "application/json");
    }
    return httpRequest("127.0.0.1", server.port(), method, path, body, headers);
  }

  TempDir dir_;
};

// Regression (issue 13): the data directory and database were created 0755/0644.
TEST_F(HardeningFilesTest, EverythingTheServerCreatesIsPrivate) {
  auto server = start(kAdminKey);
  HttpResult upload = httpRequest("127.0.0.1", server->port(), "POST", "/api/v1/archives?filename=cube.3mf",
                                  sampleThreeMf("cube", 600, 3.5), {{"X-API-Key", kAdminKey}});
  ASSERT_EQ(upload.status, 201) << upload.body;

  EXPECT_EQ(modeOf(dataDir()), 0700u);
  // In the suite's PostgreSQL pass the database lives on the database server, not in the directory.
  const bool sqlite = !onSharedPostgres();
  if (sqlite) {
    EXPECT_EQ(modeOf(dataDir() + "/bambuddy.db"), 0600u);
    ASSERT_TRUE(std::filesystem::exists(dataDir() + "/bambuddy.db-wal"));
    EXPECT_EQ(modeOf(dataDir() + "/bambuddy.db-wal"), 0600u);
  }
  int files = 0, directories = 0;
  for (const auto& item : std::filesystem::recursive_directory_iterator(dataDir())) {
    const unsigned mode = modeOf(item.path().string());
    EXPECT_EQ(mode & 077u, 0u) << item.path() << " has mode 0" << std::oct << mode;
    (item.is_directory() ? directories : files) += 1;
  }
  EXPECT_GE(files, sqlite ? 3 : 1) << "database, WAL and at least one blob";
  EXPECT_GE(directories, 1);
  EXPECT_EQ(server->log().find("is accessible by other users"), std::string::npos) << server->log();
  EXPECT_EQ(server->stop(), 0) << server->log();
}

TEST_F(HardeningFilesTest, AnOpenExistingDataDirectoryIsWarnedAbout) {
  std::filesystem::create_directories(dataDir());
  ASSERT_EQ(::chmod(dataDir().c_str(), 0755), 0);
  auto server = start(kAdminKey);
  EXPECT_NE(server->log().find("data directory " + dataDir() + " is accessible by other users (mode 0755)"),
            std::string::npos)
      << server->log();
  EXPECT_EQ(modeOf(dataDir()), 0755u) << "the operator's directory is left as it is";
  if (!onSharedPostgres()) {
    EXPECT_EQ(modeOf(dataDir() + "/bambuddy.db"), 0600u) << "new files are private all the same";
  }
}

// Regression (issue 13): a plugin route that would shadow a core route was only logged.
TEST_F(HardeningFilesTest, PluginRoutesCannotShadowCoreRoutes) {
  auto server = start(kAdminKey, "    - name: abi.routes\n");
  EXPECT_NE(server->log().find("GET /api/v1/printers/shadow would shadow the core route GET "
                               "/api/v1/printers/{id}"),
            std::string::npos)
      << server->log();
  // The core answers: no printer with that id, rather than the plugin's {"shadowed":true}.
  HttpResult r = call(*server, "GET", "/api/v1/printers/shadow", kAdminKey);
  EXPECT_EQ(r.body.find("shadowed"), std::string::npos) << r.status << " " << r.body;
  EXPECT_NE(r.status, 200) << r.body;
  // The plugin's own routes still work.
  EXPECT_EQ(call(*server, "GET", "/api/v1/abi-routes/7?q=x", kAdminKey).status, 200);
}

// Regression (issue 13): a deleted or rotated BAMBUDDY_ADMIN_KEY key came back at the next start.
TEST_F(HardeningFilesTest, BootstrapKeyDoesNotComeBackAfterDeleteOrRotate) {
  auto server = start(kAdminKey);
  ASSERT_EQ(call(*server, "GET", "/api/v1/api-keys", kAdminKey).status, 200);
  // Rotate it (no grace): the old value stops working now and after a restart.
  HttpResult rotated =
      call(*server, "POST", "/api/v1/api-keys/1/rotate", kAdminKey, R"({"grace_period_s":0})");
  ASSERT_EQ(rotated.status, 201) << rotated.body;
  const std::string new_key = json::parse(rotated.body)["key"];
  EXPECT_EQ(call(*server, "GET", "/api/v1/api-keys", kAdminKey).status, 401);
  ASSERT_EQ(server->stop(), 0) << server->log();

  server = start(kAdminKey);
  EXPECT_EQ(call(*server, "GET", "/api/v1/api-keys", kAdminKey).status, 401) << "the old value is refused";
  HttpResult list = call(*server, "GET", "/api/v1/api-keys", new_key);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(json::parse(list.body)["total"], 1);
  EXPECT_NE(server->log().find("has since been deleted or rotated; it is not restored"), std::string::npos)
      << server->log();

  // Delete it (after making another admin key): still not restored.
  HttpResult other =
      call(*server, "POST", "/api/v1/api-keys", new_key, R"({"name":"ops","permissions":["admin"]})");
  ASSERT_EQ(other.status, 201) << other.body;
  const std::string ops_key = json::parse(other.body)["key"];
  ASSERT_EQ(call(*server, "DELETE", "/api/v1/api-keys/1", ops_key).status, 204);
  ASSERT_EQ(server->stop(), 0) << server->log();
  server = start(kAdminKey);
  EXPECT_EQ(call(*server, "GET", "/api/v1/api-keys", kAdminKey).status, 401);
  EXPECT_EQ(call(*server, "GET", "/api/v1/api-keys", new_key).status, 401);
  EXPECT_EQ(call(*server, "GET", "/api/v1/api-keys", ops_key).status, 200);
}

TEST_F(HardeningFilesTest, WeakBootstrapKeyStopsTheServerWithExit2) {
  for (const std::string& weak :
       {"bb_" + std::string(43, 'A'), std::string("bb_") + "ABABABABABABABABABABABABABABABABABABABABABA"}) {
    ProcessResult r = runProcess({serverBinary(), "--config", config()}, {{"BAMBUDDY_ADMIN_KEY", weak}});
    EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
    EXPECT_NE(r.stderr_text.find("BAMBUDDY_ADMIN_KEY is too weak"), std::string::npos) << r.stderr_text;
    EXPECT_NE(r.stderr_text.find("at least 128"), std::string::npos) << r.stderr_text;
    EXPECT_EQ(r.stderr_text.find(weak.substr(3, 12)), std::string::npos) << "the value is never echoed";
  }
  ProcessResult malformed =
      runProcess({serverBinary(), "--config", config()}, {{"BAMBUDDY_ADMIN_KEY", "bb_short"}});
  EXPECT_EQ(malformed.exit_code, 2) << malformed.stderr_text;
  EXPECT_NE(malformed.stderr_text.find("is not a well-formed API key"), std::string::npos)
      << malformed.stderr_text;
}

} // namespace hardening_files_test
} // namespace bambuddy::testing
