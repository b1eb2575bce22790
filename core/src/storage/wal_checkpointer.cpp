#include "storage/wal_checkpointer.h"

#include "common/logger.h"

#include <chrono>
#include <stdexcept>

// SOCI's header wraps <sqlite3.h> in namespace sqlite_api, so the C API is reached through it.
#include <soci/sqlite3/soci-sqlite3.h>

namespace bambuddy::storage {

namespace {

using namespace sqlite_api;

constexpr const char* kComponent = "storage";
// A WAL this large after a pass means readers keep old snapshots for long: said once.
constexpr int kLargeWalPages = 64 * 1024; // 256 MiB at 4 KiB pages

sqlite3* db(void* handle) {
  return static_cast<sqlite3*>(handle);
}

} // namespace

WalCheckpointer::WalCheckpointer(const std::string& path, std::timed_mutex& writer_turn, Logger& logger,
                                 int64_t interval_ms)
    : writer_turn_(writer_turn), logger_(logger), interval_ms_(interval_ms) {
  sqlite3* handle = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &handle, SQLITE_OPEN_READWRITE, nullptr);
  if (rc != SQLITE_OK) {
    std::string reason = handle != nullptr ? sqlite3_errmsg(handle) : sqlite3_errstr(rc);
    sqlite3_close(handle);
    throw std::runtime_error("cannot open the checkpoint connection: " + reason);
  }
  sqlite3_wal_autocheckpoint(handle, 0); // this connection never writes; just to be sure
  handle_ = handle;
  thread_ = std::thread([this] { run(); });
}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
  sqlite3_close(db(handle_));
}

void WalCheckpointer::nudge(int wal_pages) {
  if (wal_pages < kNudgePages) {
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    nudged_ = true;
  }
  wake_.notify_one();
}

uint64_t WalCheckpointer::checkpoints() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return checkpoints_;
}

int WalCheckpointer::lastWalPages() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_wal_pages_;
}

void WalCheckpointer::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [this] { return stopping_ || nudged_; });
    if (stopping_) {
      break;
    }
    nudged_ = false;
    lock.unlock();
    checkpoint();
    lock.lock();
  }
}

void WalCheckpointer::checkpoint() {
  int wal_pages = 0;
  int copied = 0;
  auto pass = [&] {
    // A connection learns that the file is in WAL mode only when it reads; until then a checkpoint
    // does nothing. The file switched after this connection opened (the pool sets WAL).
    sqlite3_exec(db(handle_), "SELECT 1 FROM sqlite_master LIMIT 1", nullptr, nullptr, nullptr);
    const int rc =
        sqlite3_wal_checkpoint_v2(db(handle_), nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal_pages, &copied);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      logger_.warn(kComponent, std::string("WAL checkpoint failed: ") + sqlite3_errmsg(db(handle_)));
      return false;
    }
    return true;
  };
  if (!pass()) {
    return;
  }
  if (wal_pages >= kNudgePages) {
    // The pass copied the frames that were there when it began; writers went on meanwhile. Copy
    // what they added while none can, so the next write starts the WAL over.
    std::unique_lock<std::timed_mutex> turn(writer_turn_, std::defer_lock);
    if (turn.try_lock_for(std::chrono::milliseconds(1000)) && !pass()) {
      return;
    }
  }
  bool say_large = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++checkpoints_;
    last_wal_pages_ = wal_pages;
    if (wal_pages - copied > kLargeWalPages && !warned_large_) {
      warned_large_ = say_large = true;
    }
  }
  if (say_large) {
    logger_.warn(kComponent, "the WAL holds " + std::to_string(wal_pages) +
                                 " pages that a checkpoint could not " +
                                 "copy yet (a reader keeps an old snapshot)");
  }
}

} // namespace bambuddy::storage
