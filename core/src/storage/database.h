// A pool of database sessions and the two ways to use one: read() and write(). SQLite (WAL mode,
// the embedded default) or a PostgreSQL server (DatabaseOptions::url).
//
// This header pulls in SOCI because the templates hand a soci::session to the caller; only
// storage code and repositories that run SQL should include it. Other code takes a
// forward-declared `Database&`.
#pragma once

#include "storage/storage_error.h"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>

#include <soci/soci.h>

namespace bambuddy {
class Logger;
}

namespace bambuddy::storage {

class WalCheckpointer;

struct DatabaseOptions {
  std::string path; // SQLite file; its parent directory is created if missing
  // A PostgreSQL server instead of the SQLite file: libpq's URI, postgresql://user@host:5432/db
  // (?sslmode=... and other libpq parameters allowed). It may not hold a password: libpq takes that
  // from PGPASSWORD, PGPASSFILE or ~/.pgpass, so it never reaches a log or a process list.
  std::string url;
  int pool_size = 4;              // sessions opened up front; callers block while all are leased
  int64_t busy_timeout_ms = 5000; // how long a writer waits for another writer's lock
};

class Database {
public:
  // Opens every pooled session and configures it (WAL, synchronous=NORMAL, foreign keys, busy
  // timeout; WAL checkpoints on a thread of their own, see wal_checkpointer.h). Throws StorageError naming
  // the path and the reason when that fails, and std::invalid_argument for nonsensical options.
  Database(DatabaseOptions options, Logger& logger);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs fn(soci::session&) on a borrowed session, in autocommit mode (each statement sees its
  // own snapshot). Blocks while every session is leased, so fn must not call read()/write()
  // again: with a small pool that waits forever.
  template <class F> auto read(F&& fn) -> decltype(fn(std::declval<soci::session&>())) {
    soci::session session(*pool_);
    try {
      return fn(session);
    } catch (...) {
      recoverSession(session);
      throw;
    }
  }

  // Runs fn(soci::session&) inside one write transaction (BEGIN IMMEDIATE on SQLite, so lock
  // waits go through the busy timeout instead of failing on a lock upgrade). Commits when fn
  // returns; rolls back and rethrows when fn (or the commit) throws. Same nesting rule as read().
  template <class F> auto write(F&& fn) -> decltype(fn(std::declval<soci::session&>())) {
    using Result = decltype(fn(std::declval<soci::session&>()));
    // The writer lock first, the session second: a writer waiting its turn holds no session.
    std::unique_lock<std::timed_mutex> writer = writerTurn();
    soci::session session(*pool_);
    beginWrite(session);
    try {
      if constexpr (std::is_void_v<Result>) {
        fn(session);
        commit(session);
      } else {
        Result result = fn(session);
        commit(session);
        return result;
      }
    } catch (...) {
      rollbackQuietly(session);
      recoverSession(session);
      throw;
    }
  }

  // The SQLite file, or the PostgreSQL URL (which holds no password): what messages name.
  const std::string& path() const { return options_.url.empty() ? options_.path : options_.url; }
  // SOCI backend name: "sqlite3" or "postgresql".
  std::string backend() const { return backend_; }
  int poolSize() const { return options_.pool_size; }
  // The background checkpointer (null when SQLite checkpoints on commit, as it does by default).
  const WalCheckpointer* checkpointer() const { return checkpointer_.get(); }
  // The WAL file is trimmed back to this size when it starts over after a full checkpoint.
  static constexpr int64_t kWalSizeLimitBytes = int64_t{16} * 1024 * 1024;

private:
  // One writer at a time in this process, handed over as soon as the previous one commits,
  // instead of SQLite's busy handler, which polls with sleeps of up to 100 ms (measured by
  // tests/bench/soak: with five writing threads those sleeps, not the writes, set the pace).
  // Waits at most the busy timeout; after that the write goes ahead unlocked and SQLite's busy
  // handler decides, as before.
  std::unique_lock<std::timed_mutex> writerTurn();
  void openSqlite();
  void openPostgresql();
  void openSession(soci::session& session);
  void beginWrite(soci::session& session);
  // PostgreSQL: after a failed call, a session whose connection broke (the server restarted, the
  // network dropped it) connects again, so the next call on it works instead of failing forever.
  void recoverSession(soci::session& session) noexcept;
  void commit(soci::session& session);
  // Never throws: the original error is what the caller needs to see.
  void rollbackQuietly(soci::session& session) noexcept;

  DatabaseOptions options_;
  Logger& logger_;
  std::string backend_;
  std::timed_mutex writer_mutex_; // before the checkpointer, which takes it
  // Before the pool: the pool's connections call into it from their commits, so it goes last.
  std::unique_ptr<WalCheckpointer> checkpointer_;
  std::unique_ptr<soci::connection_pool> pool_;
};

} // namespace bambuddy::storage
