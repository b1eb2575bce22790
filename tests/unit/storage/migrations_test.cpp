#include "storage/migrations.h"

#include "storage/database.h"
#include "storage_test_util.h"
#include "support/temp_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <vector>

namespace bambuddy::storage {
namespace migrations_test {

using test::countOccurrences;
using test::LogCapture;
using ::testing::HasSubstr;

Migration createTable(int version, const std::string& table) {
  return {version, "create_" + table, {"CREATE TABLE " + table + " (id INTEGER PRIMARY KEY, label TEXT)"}};
}

class StorageMigrations : public ::testing::Test {
protected:
  void SetUp() override { open(); }

  void open() {
    db_.reset();
    DatabaseOptions options;
    options.path = dir_.file("schema.db");
    options.pool_size = 2;
    db_ = std::make_unique<Database>(options, log_.logger());
  }

  std::vector<std::pair<int, std::string>> recorded() {
    return db_->read([](soci::session& s) {
      std::vector<std::pair<int, std::string>> rows;
      int version = 0;
      std::string name;
      soci::statement st = (s.prepare << "SELECT version, name FROM schema_migrations ORDER BY version",
                            soci::into(version), soci::into(name));
      st.execute();
      while (st.fetch()) {
        rows.emplace_back(version, name);
      }
      return rows;
    });
  }

  bool tableExists(const std::string& table) {
    return db_->read([&](soci::session& s) {
      int count = 0;
      s << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = :t", soci::use(table),
          soci::into(count);
      return count == 1;
    });
  }

  testing::TempDir dir_;
  LogCapture log_;
  std::unique_ptr<Database> db_;
};

TEST_F(StorageMigrations, CoreMigrationsApplyOnceAndAreRecorded) {
  migrate(*db_, coreMigrations(), log_.logger());
  EXPECT_TRUE(tableExists("kv"));
  const auto rows = recorded();
  ASSERT_EQ(rows.size(), coreMigrations().size());
  EXPECT_EQ(rows[0], std::make_pair(1, std::string("kv")));
  EXPECT_EQ(countOccurrences(log_.text(), "applied migration 1 (kv)"), 1u);

  std::string applied_at = db_->read([](soci::session& s) {
    std::string t;
    s << "SELECT applied_at FROM schema_migrations WHERE version = 1", soci::into(t);
    return t;
  });
  // ISO 8601 UTC with milliseconds, e.g. 2024-01-15T14:30:00.123Z
  EXPECT_EQ(applied_at.size(), 24u) << applied_at;
  EXPECT_EQ(applied_at.back(), 'Z');
  EXPECT_EQ(applied_at[10], 'T');
}

TEST_F(StorageMigrations, RerunningIsANoOpEvenAfterReopen) {
  migrate(*db_, coreMigrations(), log_.logger());
  migrate(*db_, coreMigrations(), log_.logger());
  open();
  migrate(*db_, coreMigrations(), log_.logger());
  EXPECT_EQ(recorded().size(), coreMigrations().size());
  EXPECT_EQ(countOccurrences(log_.text(), "applied migration"), coreMigrations().size());
}

TEST_F(StorageMigrations, AppliesOnlyTheMissingOnesInOrder) {
  std::vector<Migration> list = {createTable(1, "a")};
  migrate(*db_, list, log_.logger());
  list.push_back(createTable(2, "b"));
  list.push_back(createTable(3, "c"));
  migrate(*db_, list, log_.logger());
  EXPECT_TRUE(tableExists("b"));
  EXPECT_TRUE(tableExists("c"));
  const std::string text = log_.text();
  EXPECT_EQ(countOccurrences(text, "applied migration 1 (create_a)"), 1u);
  EXPECT_LT(text.find("applied migration 2 (create_b)"), text.find("applied migration 3 (create_c)"));
  EXPECT_EQ(recorded().size(), 3u);
}

TEST_F(StorageMigrations, DatabaseFromTheFutureIsRefused) {
  migrate(*db_, {createTable(1, "a"), createTable(2, "b"), createTable(3, "c")}, log_.logger());
  try {
    migrate(*db_, {createTable(1, "a"), createTable(2, "b")}, log_.logger());
    FAIL() << "expected StorageError";
  } catch (const StorageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("schema version 3"));
    EXPECT_THAT(e.what(), HasSubstr("up to version 2"));
    EXPECT_THAT(e.what(), HasSubstr(dir_.file("schema.db")));
  }
  EXPECT_EQ(recorded().size(), 3u);
}

TEST_F(StorageMigrations, FailingStatementLeavesNothingHalfApplied) {
  migrate(*db_, {createTable(1, "a")}, log_.logger());
  Migration broken{2,
                   "broken",
                   {"CREATE TABLE b (id INTEGER PRIMARY KEY)",
                    "INSERT INTO a (id, label) VALUES (7, 'kept?')",
                    "INSERT INTO no_such_table (x) VALUES (1)"}};
  try {
    migrate(*db_, {createTable(1, "a"), broken}, log_.logger());
    FAIL() << "expected StorageError";
  } catch (const StorageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("migration 2 (broken) failed at statement 3 of 3"));
    EXPECT_THAT(e.what(), HasSubstr("no_such_table"));
  }
  EXPECT_FALSE(tableExists("b"));
  int rows_in_a = db_->read([](soci::session& s) {
    int n = 0;
    s << "SELECT COUNT(*) FROM a", soci::into(n);
    return n;
  });
  EXPECT_EQ(rows_in_a, 0);
  EXPECT_EQ(recorded().size(), 1u);

  // Once the migration is fixed it applies cleanly.
  broken.statements.back() = "INSERT INTO b (id) VALUES (1)";
  migrate(*db_, {createTable(1, "a"), broken}, log_.logger());
  EXPECT_TRUE(tableExists("b"));
  EXPECT_EQ(recorded().size(), 2u);
}

TEST_F(StorageMigrations, BadlyNumberedListsAreProgrammingErrors) {
  EXPECT_THROW(migrate(*db_, {createTable(2, "a")}, log_.logger()), std::logic_error);
  EXPECT_THROW(migrate(*db_, {createTable(1, "a"), createTable(3, "b")}, log_.logger()), std::logic_error);
  EXPECT_THROW(migrate(*db_, {createTable(1, "a"), createTable(1, "b")}, log_.logger()), std::logic_error);
  EXPECT_THROW(migrate(*db_, {createTable(1, "a"), createTable(0, "b")}, log_.logger()), std::logic_error);
  EXPECT_THROW(migrate(*db_, {Migration{1, "", {}}}, log_.logger()), std::logic_error);
  // Validation happens before anything touches the database.
  EXPECT_FALSE(tableExists("schema_migrations"));
}

TEST_F(StorageMigrations, EmptyListOnFreshDatabaseIsFine) {
  migrate(*db_, {}, log_.logger());
  EXPECT_TRUE(tableExists("schema_migrations"));
  EXPECT_TRUE(recorded().empty());
}

TEST(StorageCoreMigrations, AreNumberedFromOne) {
  const auto& list = coreMigrations();
  ASSERT_FALSE(list.empty());
  for (std::size_t i = 0; i < list.size(); ++i) {
    EXPECT_EQ(list[i].version, static_cast<int>(i) + 1);
    EXPECT_FALSE(list[i].statements.empty());
  }
}

} // namespace migrations_test
} // namespace bambuddy::storage
