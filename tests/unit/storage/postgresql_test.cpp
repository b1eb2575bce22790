// The storage layer on a real PostgreSQL 15 (tests/support/postgres_server): the core migrations
// run there as written for SQLite (spelled for PostgreSQL by forPostgresql, FTS5 replaced by
// pg_trgm indexes), the key-value store answers as on SQLite (bytewise key order whatever the
// server's locale), ids come from their sequences, and a URL holding a password is refused
// before anything connects.
#include "storage/database.h"
#include "storage/id_sequence.h"
#include "storage/kv_store.h"
#include "storage/migrations.h"

#include "storage_test_util.h"
#include "support/postgres_server.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace bambuddy::storage {
namespace postgresql_test {

using test::LogCapture;

class PostgresqlStorageTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(testing::PostgresServer::binDir().empty())
        << "PostgreSQL 15 is not installed: run scripts/setup";
    server_.start();
  }

  std::unique_ptr<Database> open(const std::string& name) {
    DatabaseOptions options;
    options.url = server_.createDatabase(name);
    options.pool_size = 2;
    return std::make_unique<Database>(options, log_.logger());
  }

  std::vector<std::string> keysOf(KvStore& kv) {
    std::vector<std::string> keys;
    kv.scan("ns", "", [&](const std::string& key, const std::string&) {
      keys.push_back(key);
      return true;
    });
    return keys;
  }

  testing::PostgresServer server_;
  LogCapture log_;
};

TEST_F(PostgresqlStorageTest, TheCoreMigrationsRunOnceAndRecordTheirVersions) {
  auto db = open("migrated");
  EXPECT_EQ(db->backend(), "postgresql");
  migrate(*db, coreMigrations(), log_.logger());
  migrate(*db, coreMigrations(), log_.logger()); // nothing left to do
  int versions = 0;
  int top = 0;
  db->read([&](soci::session& s) {
    s << "SELECT COUNT(*), MAX(version) FROM schema_migrations", soci::into(versions), soci::into(top);
  });
  EXPECT_EQ(versions, static_cast<int>(coreMigrations().size()));
  EXPECT_EQ(top, static_cast<int>(coreMigrations().size()));
  std::string collation;
  db->read([&](soci::session& s) {
    s << "SELECT collation_name FROM information_schema.columns WHERE table_name = 'kv' AND column_name = "
         "'key'",
        soci::into(collation);
  });
  EXPECT_EQ(collation, "C");
  int trigram_indexes = 0;
  db->read([&](soci::session& s) {
    s << "SELECT COUNT(*) FROM pg_indexes WHERE tablename = 'archives' AND indexdef LIKE '%gin_trgm_ops%'",
        soci::into(trigram_indexes);
  });
  EXPECT_EQ(trigram_indexes, 2);
  EXPECT_NE(log_.text().find("applied migration 10 (archives_search)"), std::string::npos) << log_.text();
}

TEST_F(PostgresqlStorageTest, TheKeyValueStoreAnswersAsOnSqlite) {
  testing::TempDir dir;
  DatabaseOptions lite;
  lite.path = dir.file("kv.db");
  Database sqlite(lite, log_.logger());
  auto pg = open("kv");
  std::vector<std::string> orders[2];
  int i = 0;
  for (Database* db : {&sqlite, pg.get()}) {
    migrate(*db, coreMigrations(), log_.logger());
    KvStore kv(*db);
    for (const char* key : {"b", "B", "a_1", "a%", "\xc3\xa9t\xc3\xa9", "Z", "a"}) {
      kv.put("ns", key, "{\"k\":\"" + std::string(key) + "\"}");
    }
    kv.put("ns", "a", "2"); // replaces
    EXPECT_EQ(kv.get("ns", "a"), "2");
    EXPECT_TRUE(kv.remove("ns", "Z"));
    EXPECT_FALSE(kv.remove("ns", "Z"));
    EXPECT_EQ(kv.get("ns", "Z"), std::nullopt);
    std::vector<std::string> prefixed;
    kv.scan("ns", "a_", [&](const std::string& key, const std::string&) {
      prefixed.push_back(key);
      return true;
    });
    EXPECT_EQ(prefixed, std::vector<std::string>{"a_1"}) << "'_' is a plain character in a prefix";
    orders[i++] = keysOf(kv);
  }
  EXPECT_EQ(orders[0], (std::vector<std::string>{"B", "a", "a%", "a_1", "b", "\xc3\xa9t\xc3\xa9"}));
  EXPECT_EQ(orders[1], orders[0]) << "bytewise order on both";
}

TEST_F(PostgresqlStorageTest, IdsComeFromTheirSequencesAndAuditRowsNumberThemselves) {
  auto db = open("ids");
  migrate(*db, coreMigrations(), log_.logger());
  std::vector<int64_t> ids;
  for (int n = 0; n < 3; ++n) {
    ids.push_back(db->write([](soci::session& s) { return nextId(s, "printers", "printers"); }));
  }
  EXPECT_EQ(ids, (std::vector<int64_t>{1, 2, 3}));
  long long first = 0;
  long long second = 0;
  db->write([&](soci::session& s) {
    s << "INSERT INTO audit_log (at, at_ms, kind) VALUES ('2026-12-07T08:00:00Z', 1, 'test') RETURNING id",
        soci::into(first);
    s << "INSERT INTO audit_log (at, at_ms, kind) VALUES ('2026-12-07T08:00:01Z', 2, 'test') RETURNING id",
        soci::into(second);
  });
  EXPECT_GT(first, 0);
  EXPECT_EQ(second, first + 1);
}

TEST_F(PostgresqlStorageTest, AUrlWithAPasswordOrAnotherSchemeIsRefusedBeforeConnecting) {
  DatabaseOptions options;
  options.url = "postgresql://bambuddy:hunter2@127.0.0.1:" + std::to_string(server_.port()) + "/postgres";
  try {
    Database db(options, log_.logger());
    ADD_FAILURE() << "a password in the URL was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("PGPASSWORD"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos);
  }
  options.url = "mysql://bambuddy@127.0.0.1/db";
  EXPECT_THROW(Database(options, log_.logger()), std::invalid_argument);
  options.url = "postgresql://bambuddy@127.0.0.1:1/nowhere";
  try {
    Database db(options, log_.logger());
    ADD_FAILURE() << "connected to a closed port";
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("postgresql://bambuddy@127.0.0.1:1/nowhere"), std::string::npos)
        << e.what();
  }
  options.url = "postgresql://bambuddy@127.0.0.1/db?application_name=two%20words";
  EXPECT_THROW(Database(options, log_.logger()), StorageError) << "a value SOCI would split";
}

TEST_F(PostgresqlStorageTest, SessionsConnectAgainAfterTheServerRestarted) {
  std::unique_ptr<Database> db = open("restart");
  auto count = [&] {
    long long n = 0;
    db->read([&](soci::session& session) { session << "SELECT 1", soci::into(n); });
    return n;
  };
  ASSERT_EQ(count(), 1);
  server_.stop();
  server_.start();
  // Each pooled session may fail once (its connection is gone); then it connects again.
  int failures = 0;
  int answers = 0;
  for (int i = 0; i < 10 && answers < 4; ++i) {
    try {
      EXPECT_EQ(count(), 1);
      db->write([](soci::session& session) { session << "CREATE TABLE IF NOT EXISTS t (x INTEGER)"; });
      ++answers;
    } catch (const std::exception&) {
      ++failures;
    }
  }
  EXPECT_EQ(answers, 4) << failures << " failures; the log:\n" << log_.text();
  EXPECT_LE(failures, 4) << "at most one per pooled session and kind of call";
  EXPECT_NE(log_.text().find("connecting again"), std::string::npos) << log_.text();
}

} // namespace postgresql_test
} // namespace bambuddy::storage
