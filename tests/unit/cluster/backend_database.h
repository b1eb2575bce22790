// The database of a cluster test that runs on each backend ("sqlite" or "postgresql"): a file in a
// temp dir, or a database on a PostgreSQL 15 server of the test's own; the core schema either way.
#pragma once

#include "common/logger.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "support/postgres_server.h"
#include "support/temp_dir.h"

#include <memory>
#include <string>

namespace bambuddy::cluster::test {

struct BackendDatabase {
  // False, with the reason in `problem`, when PostgreSQL 15 is not installed.
  bool open(const std::string& backend, const std::string& name, Logger& logger, std::string& problem) {
    storage::DatabaseOptions options;
    options.pool_size = 4;
    if (backend == "postgresql") {
      if (testing::PostgresServer::binDir().empty()) {
        problem = "PostgreSQL 15 is not installed: scripts/setup";
        return false;
      }
      server = std::make_unique<testing::PostgresServer>();
      server->start();
      options.url = server->createDatabase(name);
    } else {
      options.path = dir.file(name + ".db");
    }
    db = std::make_unique<storage::Database>(options, logger);
    storage::migrate(*db, storage::coreMigrations(), logger);
    return true;
  }

  testing::TempDir dir;
  std::unique_ptr<testing::PostgresServer> server; // null on SQLite
  std::unique_ptr<storage::Database> db;
};

} // namespace bambuddy::cluster::test
