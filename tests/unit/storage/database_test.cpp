#include "storage/database.h"

#include "storage/wal_checkpointer.h"

#include "storage_test_util.h"
#include "support/temp_dir.h"

#include <soci/sqlite3/soci-sqlite3.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <thread>
#include <vector>

namespace bambuddy::storage {
namespace database_test {

using test::LogCapture;
using ::testing::HasSubstr;

DatabaseOptions optionsFor(const std::string& path, int pool_size = 4) {
  DatabaseOptions options;
  options.path = path;
  options.pool_size = pool_size;
  return options;
}

std::string storageErrorFor(const DatabaseOptions& options, Logger& logger) {
  try {
    Database db(options, logger);
  } catch (const StorageError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected StorageError for " << options.path;
  return {};
}

struct SessionSettings {
  std::string journal_mode;
  int synchronous = -1;
  int foreign_keys = -1;
  int busy_timeout = -1;
};

SessionSettings settingsOf(soci::session& s) {
  SessionSettings out;
  s << "PRAGMA journal_mode", soci::into(out.journal_mode);
  s << "PRAGMA synchronous", soci::into(out.synchronous);
  s << "PRAGMA foreign_keys", soci::into(out.foreign_keys);
  s << "PRAGMA busy_timeout", soci::into(out.busy_timeout);
  return out;
}

TEST(StorageDatabase, EverySessionIsConfigured) {
  testing::TempDir dir;
  LogCapture log;
  DatabaseOptions options = optionsFor(dir.file("bambuddy.db"), 4);
  options.busy_timeout_ms = 1234;
  Database db(options, log.logger());
  EXPECT_EQ(db.path(), dir.file("bambuddy.db"));
  EXPECT_EQ(db.backend(), "sqlite3");

  // Nested reads hold all four sessions at once, so each one is inspected exactly once.
  std::vector<SessionSettings> seen;
  std::function<void(int)> borrow = [&](int depth) {
    db.read([&](soci::session& s) {
      seen.push_back(settingsOf(s));
      if (depth + 1 < 4) {
        borrow(depth + 1);
      }
    });
  };
  borrow(0);
  ASSERT_EQ(seen.size(), 4u);
  for (const SessionSettings& s : seen) {
    EXPECT_EQ(s.journal_mode, "wal");
    EXPECT_EQ(s.synchronous, 1); // NORMAL
    EXPECT_EQ(s.foreign_keys, 1);
    EXPECT_EQ(s.busy_timeout, 1234);
  }
  EXPECT_THAT(log.text(), HasSubstr("opened database " + dir.file("bambuddy.db")));
}

TEST(StorageDatabase, WalFileAppearsAfterWrite) {
  testing::TempDir dir;
  LogCapture log;
  const std::string path = dir.file("wal.db");
  Database db(optionsFor(path), log.logger());
  db.write([](soci::session& s) {
    s << "CREATE TABLE t (n INTEGER NOT NULL)";
    s << "INSERT INTO t (n) VALUES (1)";
  });
  EXPECT_TRUE(std::filesystem::exists(path + "-wal"));
  EXPECT_GT(std::filesystem::file_size(path + "-wal"), 0u);
}

// Commits never checkpoint (their SQLite hook only nudges the checkpointer), and the checkpointer
// lets the WAL start over after a burst. A reader on a connection of its own keeps its snapshot
// through 6,000 commits of a 4 KiB row, so no checkpoint can finish and the WAL file grows past
// 24 MB (deterministically, however fast the writes are). Once the reader is done, a pass after the
// burst copies everything, and the next commit starts the WAL over and trims the file to the limit.
TEST(StorageDatabase, CheckpointsRunOffTheWritersAndKeepTheWalSmall) {
  testing::TempDir dir;
  LogCapture log;
  const std::string path = dir.file("ckpt.db");
  Database db(optionsFor(path), log.logger());
  ASSERT_NE(db.checkpointer(), nullptr);
  const int autocheckpoint = db.read([](soci::session& s) {
    int pages = -1;
    s << "PRAGMA wal_autocheckpoint", soci::into(pages);
    return pages;
  });
  EXPECT_EQ(autocheckpoint, 0); // SQLite's checkpoint-on-commit is off on the pool's connections
  db.write([](soci::session& s) { s << "CREATE TABLE t (b BLOB NOT NULL)"; });
  soci::session reader(*soci::factory_sqlite3(), "db=\"" + path + "\"");
  reader << "BEGIN";
  int seen = -1;
  reader << "SELECT COUNT(*) FROM t", soci::into(seen);
  const std::string row(4096, 'x');
  auto insert = [&] {
    db.write([&](soci::session& s) { s << "INSERT INTO t (b) VALUES (:b)", soci::use(row); });
  };
  for (int i = 0; i < 6000; ++i) {
    insert();
  }
  EXPECT_GT(std::filesystem::file_size(path + "-wal"), uintmax_t{24} * 1024 * 1024);
  EXPECT_GT(db.checkpointer()->checkpoints(), 0u); // nudged by the commits, blocked by the reader
  reader << "COMMIT";
  // A pass may be under way now; the one after it begins with no reader left.
  const uint64_t after_burst = db.checkpointer()->checkpoints();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (db.checkpointer()->checkpoints() < after_burst + 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_GE(db.checkpointer()->checkpoints(), after_burst + 2);
  insert(); // starts the WAL over and trims the file
  EXPECT_LE(std::filesystem::file_size(path + "-wal"), uintmax_t{Database::kWalSizeLimitBytes});
  const int rows = db.read([](soci::session& s) {
    int n = 0;
    s << "SELECT COUNT(*) FROM t", soci::into(n);
    return n;
  });
  EXPECT_EQ(rows, 6001);
}

TEST(StorageDatabase, CreatesMissingParentDirectories) {
  testing::TempDir dir;
  LogCapture log;
  const std::string path = dir.file("a/b/c/data.db");
  Database db(optionsFor(path, 1), log.logger());
  EXPECT_TRUE(std::filesystem::exists(path));
}

TEST(StorageDatabase, PathWithSpacesAndEqualsSign) {
  testing::TempDir dir;
  LogCapture log;
  const std::string path = dir.file("my data/x=1 y.db");
  {
    Database db(optionsFor(path, 2), log.logger());
    db.write([](soci::session& s) { s << "CREATE TABLE t (n INTEGER)"; });
  }
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(dir.file("my data/x=1")));
}

TEST(StorageDatabase, WriteCommitsAndReturnsValue) {
  testing::TempDir dir;
  LogCapture log;
  Database db(optionsFor(dir.file("w.db")), log.logger());
  int inserted = db.write([](soci::session& s) {
    s << "CREATE TABLE t (n INTEGER NOT NULL)";
    s << "INSERT INTO t (n) VALUES (41)";
    return 1;
  });
  EXPECT_EQ(inserted, 1);
  int n = db.read([](soci::session& s) {
    int v = 0;
    s << "SELECT n + 1 FROM t", soci::into(v);
    return v;
  });
  EXPECT_EQ(n, 42);
}

TEST(StorageDatabase, WriteRollsBackAndRethrows) {
  testing::TempDir dir;
  LogCapture log;
  Database db(optionsFor(dir.file("r.db"), 1), log.logger());
  db.write([](soci::session& s) { s << "CREATE TABLE t (n INTEGER NOT NULL)"; });

  EXPECT_THROW(db.write([](soci::session& s) {
    s << "INSERT INTO t (n) VALUES (1)";
    throw std::out_of_range("caller gave up");
  }),
               std::out_of_range);
  EXPECT_THROW(db.write([](soci::session& s) {
    s << "INSERT INTO t (n) VALUES (2)";
    s << "INSERT INTO t (n) VALUES (NULL)"; // NOT NULL violation
  }),
               soci::soci_error);

  // The single session went back to the pool with no transaction open: a new write works.
  db.write([](soci::session& s) { s << "INSERT INTO t (n) VALUES (3)"; });
  int count = 0;
  int sum = 0;
  db.read(
      [&](soci::session& s) { s << "SELECT COUNT(*), SUM(n) FROM t", soci::into(count), soci::into(sum); });
  EXPECT_EQ(count, 1);
  EXPECT_EQ(sum, 3);
}

TEST(StorageDatabase, ParentIsAFileGivesPreciseError) {
  testing::TempDir dir;
  LogCapture log;
  const std::string blocker = dir.write("plain.txt", "not a directory");
  const std::string path = blocker + "/db.sqlite";
  const std::string message = storageErrorFor(optionsFor(path), log.logger());
  EXPECT_THAT(message, HasSubstr("cannot open database '" + path + "'"));
  EXPECT_THAT(message, HasSubstr("Not a directory"));
}

TEST(StorageDatabase, DirectoryAsDatabaseGivesPreciseError) {
  testing::TempDir dir;
  LogCapture log;
  const std::string message = storageErrorFor(optionsFor(dir.path()), log.logger());
  EXPECT_THAT(message, HasSubstr("cannot open database '" + dir.path() + "'"));
  EXPECT_THAT(message, HasSubstr("unable to open database file"));
}

TEST(StorageDatabase, NonDatabaseFileGivesPreciseError) {
  testing::TempDir dir;
  LogCapture log;
  const std::string path = dir.write("junk.db", std::string(4096, 'x'));
  const std::string message = storageErrorFor(optionsFor(path), log.logger());
  EXPECT_THAT(message, HasSubstr("cannot open database '" + path + "'"));
  EXPECT_THAT(message, HasSubstr("file is not a database"));
}

TEST(StorageDatabase, RejectsNonsensicalOptions) {
  testing::TempDir dir;
  LogCapture log;
  EXPECT_THROW(Database(optionsFor(""), log.logger()), std::invalid_argument);
  EXPECT_THROW(Database(optionsFor(dir.file("x.db"), 0), log.logger()), std::invalid_argument);
  DatabaseOptions negative = optionsFor(dir.file("x.db"));
  negative.busy_timeout_ms = -1;
  EXPECT_THROW(Database(negative, log.logger()), std::invalid_argument);
  const std::string quoted = storageErrorFor(optionsFor(dir.file("a\"b.db")), log.logger());
  EXPECT_THAT(quoted, HasSubstr("contains '\"'"));
}

TEST(StorageDatabase, ConcurrentReadModifyWriteLosesNothing) {
  testing::TempDir dir;
  LogCapture log;
  Database db(optionsFor(dir.file("counter.db"), 4), log.logger());
  db.write([](soci::session& s) {
    s << "CREATE TABLE counter (id INTEGER PRIMARY KEY, n BIGINT NOT NULL)";
    s << "INSERT INTO counter (id, n) VALUES (1, 0)";
  });

  constexpr int kThreads = 8;
  constexpr int kIterations = 100;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIterations; ++i) {
        try {
          db.write([](soci::session& s) {
            long long n = 0;
            s << "SELECT n FROM counter WHERE id = 1", soci::into(n);
            n += 1;
            s << "UPDATE counter SET n = :n WHERE id = 1", soci::use(n);
          });
        } catch (const std::exception& e) {
          ++errors;
          ADD_FAILURE() << e.what();
        }
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(errors.load(), 0);
  long long final_count = db.read([](soci::session& s) {
    long long n = 0;
    s << "SELECT n FROM counter WHERE id = 1", soci::into(n);
    return n;
  });
  EXPECT_EQ(final_count, kThreads * kIterations);
}

} // namespace database_test
} // namespace bambuddy::storage
