// Moves SQLite's WAL checkpoints off the writers' threads. By default the connection that commits
// past 1000 WAL pages runs the checkpoint itself: it copies those pages into the database file and
// syncs it while holding its write turn, so a status report or a delivery waits tens of
// milliseconds behind a commit that happened to cross the line (measured with tests/bench/soak:
// report -> webhook p99 tails at 1,000 printers). Here the pool's connections only nudge this
// thread, which checkpoints PASSIVE on its own connection: that copies the bulk without blocking
// writers or readers. SQLite starts the WAL over only once every frame is copied, and writers add
// frames while a pass runs, so after a pass over a large WAL a second one copies what they added
// while holding the process's writer turn (a short pause for writers instead of the whole copy).
//
// Threading: one thread of its own. nudge() may be called from any thread (it is called from
// inside SQLite's commit, so it only signals). Stopped and joined by the destructor.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace bambuddy {
class Logger;
}

namespace bambuddy::storage {

class WalCheckpointer {
public:
  // Opens its own connection to `path` and starts the thread. Throws std::runtime_error when the
  // connection cannot be opened (the caller then leaves SQLite's own checkpoints on).
  // `writer_turn` is the Database's writer mutex (held for the short catch-up pass only).
  WalCheckpointer(const std::string& path, std::timed_mutex& writer_turn, Logger& logger,
                  int64_t interval_ms = 200);
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // A commit left `wal_pages` pages in the WAL: checkpoint soon when that is many.
  void nudge(int wal_pages);

  // For tests: checkpoints passed and the WAL's size in pages after the last one.
  uint64_t checkpoints() const;
  int lastWalPages() const;

  // WAL size that wakes the thread before its interval (SQLite's own default threshold).
  static constexpr int kNudgePages = 1000;

private:
  void run();
  void checkpoint();

  std::timed_mutex& writer_turn_;
  Logger& logger_;
  const int64_t interval_ms_;
  void* handle_ = nullptr; // sqlite3*, kept opaque so users of database.h need no sqlite header
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool nudged_ = false;
  uint64_t checkpoints_ = 0;
  int last_wal_pages_ = 0;
  bool warned_large_ = false;
  std::thread thread_;
};

} // namespace bambuddy::storage
