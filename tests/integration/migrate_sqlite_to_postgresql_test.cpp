// An install moved from SQLite to PostgreSQL with the real binary, as docs/scaling.md tells the
// operator: the server runs on SQLite (a simulated printer prints, an archive is recorded), stops,
// `bambuddy --migrate-sqlite-to-postgresql FILE URL` copies the file into an empty database and
// prints the per-table report, a second run is refused (the target is no longer empty), and the
// server started on the PostgreSQL URL serves the same printers and archives and adds new ones.
#include "support/http_client.h"
#include "support/postgres_server.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace bambuddy::testing {
namespace migrate_sqlite_to_postgresql_test {

using nlohmann::json;

// A fixed key with 256 bits of entropy (the server refuses a weak BAMBUDDY_ADMIN_KEY).
const std::string kAdminKey = "bb_Qm4x8Ww0cJ2nTzR7yLk5uE1sVa9pHd3gFb6oNi_XtZc";

class MigrateSqliteToPostgresqlTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (PostgresServer::binDir().empty()) {
      GTEST_SKIP() << "PostgreSQL 15 is not installed (scripts/setup installs it)";
    }
    if (std::getenv("BAMBUDDY_TEST_POSTGRESQL") != nullptr) {
      GTEST_SKIP() << "the suite's PostgreSQL pass would put the first server on PostgreSQL; this test "
                      "starts its own";
    }
    postgres_.start();
  }

  std::string writeConfig(const std::string& name, const std::string& database_yaml) {
    return dir_.write(name, "server:\n  listen: 127.0.0.1:0\n"
                            "data_dir: " +
                                dir_.file("data") + "\n" + database_yaml + "plugins:\n  search_path: [" +
                                pluginDir() +
                                "]\n  load:\n"
                                "    - name: storage.local\n"
                                "    - name: auth.apikey\n"
                                "    - name: printer.sim\n"
                                "      instances:\n"
                                "        - id: sim\n"
                                "          name: Simulated\n"
                                "          settings: {speed: 600, report_interval_ms: 20, print_time_s: 30, "
                                "auto_print: {filename: demo.3mf, repeat: false, idle_s: 0}}\n");
  }

  void startServer(const std::string& config) {
    server_ = std::make_unique<ServerProcess>(
        serverBinary(), std::vector<std::string>{"--config", config},
        std::map<std::string, std::string>{{"BAMBUDDY_ADMIN_KEY", kAdminKey}});
    ASSERT_TRUE(server_->waitReady()) << server_->log();
  }

  json get(const std::string& path) {
    HttpResult r = httpRequest("127.0.0.1", server_->port(), "GET", path, "", {{"X-API-Key", kAdminKey}});
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }

  json waitFor(const std::string& path, const std::function<bool(const json&)>& check) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    json last;
    while (std::chrono::steady_clock::now() < until) {
      last = get(path);
      if (check(last)) {
        return last;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "condition not reached on " << path << "; last answer " << last.dump();
    return last;
  }

  ProcessResult migrate(const std::vector<std::string>& args) {
    std::vector<std::string> argv{serverBinary(), "--migrate-sqlite-to-postgresql"};
    argv.insert(argv.end(), args.begin(), args.end());
    return runProcess(argv, {}, 60000);
  }

  PostgresServer postgres_;
  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

// List answers are {"items": [...], "total", "offset"}.
const json& itemsOf(const json& body) {
  return body.contains("items") ? body["items"] : body;
}

// The count the report prints for `table` ("archives      1"), -1 when it has no such line.
long long reportedRows(const std::string& report, const std::string& table) {
  std::istringstream lines(report);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string name;
    long long rows = -1;
    if (fields >> name >> rows && name == table) {
      return rows;
    }
  }
  return -1;
}

TEST_F(MigrateSqliteToPostgresqlTest, AnInstallMovesToPostgresqlAndKeepsItsData) {
  // On SQLite: the simulated printer finishes one print, which is archived.
  startServer(writeConfig("sqlite.yaml", ""));
  const json archives = itemsOf(waitFor("/api/v1/archives", [](const json& body) {
    return !itemsOf(body).empty() && itemsOf(body)[0]["status"] != "printing";
  }));
  const json printers = itemsOf(get("/api/v1/printers"));
  ASSERT_EQ(server_->stop(), 0) << server_->log();

  const std::string sqlite = dir_.file("data/bambuddy.db");
  const std::string url = postgres_.createDatabase("moved");
  ProcessResult r = migrate({sqlite, url});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("copied " + sqlite + " (schema version "), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("row counts equal on both sides"), std::string::npos) << r.stdout_text;
  EXPECT_EQ(reportedRows(r.stdout_text, "archives"), static_cast<long long>(archives.size()))
      << r.stdout_text;
  EXPECT_GE(reportedRows(r.stdout_text, "printers"), 1) << r.stdout_text;
  EXPECT_GE(reportedRows(r.stdout_text, "event_journal"), 1) << r.stdout_text;
  EXPECT_GE(reportedRows(r.stdout_text, "total"), 3) << r.stdout_text;
  EXPECT_EQ(reportedRows(r.stdout_text, "schema_migrations"), -1) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("not copied: archives_search"), std::string::npos) << r.stdout_text;

  // A password in the URL is refused before anything connects, and not repeated.
  r = migrate({sqlite, "postgresql://bambuddy:hunter2hunter2@127.0.0.1:" + std::to_string(postgres_.port()) +
                           "/moved"});
  EXPECT_EQ(r.exit_code, 1) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("database url holds a password; give it with PGPASSWORD"), std::string::npos)
      << r.stderr_text;
  EXPECT_EQ(r.stderr_text.find("hunter2hunter2"), std::string::npos) << r.stderr_text;

  // Once copied, the target is no longer empty: a second run changes nothing.
  r = migrate({sqlite, url});
  EXPECT_EQ(r.exit_code, 1) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("the target database " + url + " is not empty (rows in "), std::string::npos)
      << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("nothing was copied; the target database is as it was"), std::string::npos)
      << r.stderr_text;

  // On PostgreSQL: the same printers and archives, and new records get new ids.
  startServer(writeConfig("postgresql.yaml", "database:\n  url: " + url + "\n"));
  const json printers_after = itemsOf(get("/api/v1/printers"));
  ASSERT_EQ(printers_after.size(), printers.size()) << printers_after.dump();
  for (std::size_t i = 0; i < printers.size(); ++i) {
    EXPECT_EQ(printers_after[i]["id"], printers[i]["id"]);
    EXPECT_EQ(printers_after[i]["name"], printers[i]["name"]);
  }
  for (const json& before : archives) {
    const json after = get("/api/v1/archives/" + std::to_string(before["id"].get<int64_t>()));
    EXPECT_EQ(after["name"], before["name"]);
    EXPECT_EQ(after["status"], before["status"]);
    EXPECT_EQ(after["printer_id"], before["printer_id"]);
  }
  HttpResult added = httpRequest("127.0.0.1", server_->port(), "POST", "/api/v1/printers",
                                 json{{"name", "Added after the move"}, {"driver", "printer.sim"}}.dump(),
                                 {{"X-API-Key", kAdminKey}, {"Content-Type", "application/json"}});
  ASSERT_EQ(added.status, 201) << added.body;
  int64_t highest = 0;
  for (const json& p : printers) {
    highest = std::max(highest, p["id"].get<int64_t>());
  }
  EXPECT_GT(json::parse(added.body)["id"].get<int64_t>(), highest);
  EXPECT_EQ(server_->stop(), 0) << server_->log();
}

TEST_F(MigrateSqliteToPostgresqlTest, BadArgumentsAndAMissingFileExitNonZeroWithTheReason) {
  ProcessResult r = migrate({dir_.file("bambuddy.db")});
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("--migrate-sqlite-to-postgresql needs the SQLite file and the PostgreSQL URL"),
            std::string::npos)
      << r.stderr_text;

  const std::string url = postgres_.createDatabase("untouched");
  r = migrate({dir_.file("nope.db"), url});
  EXPECT_EQ(r.exit_code, 1) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("cannot open SQLite database '" + dir_.file("nope.db") +
                               "': No such file or directory"),
            std::string::npos)
      << r.stderr_text;
  EXPECT_TRUE(r.stdout_text.empty()) << r.stdout_text;
}

} // namespace migrate_sqlite_to_postgresql_test
} // namespace bambuddy::testing
