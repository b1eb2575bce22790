// The audit trail: API key changes, authentication failures, refused (403) and throttled (429)
// requests, kept in the `audit_log` table and trimmed by age.
//
// Request threads never touch the database: record() only enqueues, and one writer thread stores
// entries in batches (one BEGIN IMMEDIATE transaction per batch). When the queue is full the entry
// is dropped, counted and logged (at most once a minute), so a flood of failures cannot stall
// requests or grow memory. Entries never hold a full API key or secret: at most the 8-character
// display prefix.
//
// auth_failed entries are aggregated: one row per client address (IPv6: its /64) per UTC minute,
// whose detail holds {"count", "reasons": {code: n}, "throttled" (answered 429 rather than 401),
// "window_s": 60, "network" (IPv6 only)}; the row keeps the time, path, method and key prefix of the
// first failure of that minute and is updated in place as more arrive. A flood of failures thus
// writes at most one row per address a minute, and memory holds at most kMaxFailureTallies of them.
//
// Plugins record key lifecycle events by publishing bus topic "audit_event" with payload
// {"kind","principal_id","principal_name","key_prefix","client_ip","path","reason","detail"};
// only the key_* kinds are accepted that way (the core alone records failures and refusals).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace bambuddy {
class Logger;
namespace storage {
class Database;
}
namespace bus {
class EventBus;
}
} // namespace bambuddy

namespace bambuddy::auth {

// The kinds of audit_log rows. provider_*, printer_* and settings_changed: who changed what (the
// field names in detail.changes, never values).
inline constexpr std::string_view kAuditKinds[] = {
    "key_created",      "key_changed",     "key_rotated",      "key_deleted",
    "auth_failed",      "forbidden",       "rate_limited",     "provider_created",
    "provider_changed", "provider_tested", "provider_deleted", "printer_created",
    "printer_changed",  "printer_deleted", "printer_checked",  "settings_changed"};
bool isAuditKind(std::string_view kind);

struct AuditEntry {
  int64_t id = 0;    // assigned by the database; 0 before
  int64_t at_ms = 0; // UTC epoch ms; 0 = when record() is called
  std::string kind;
  std::string principal_id;
  std::string principal_name;
  std::string key_prefix; // never more than the first 8 characters of a key
  std::string client_ip;
  std::string method;
  std::string path;
  std::string reason;
  std::string detail_json; // a JSON object as text; "" = none
  bool throttled = false;  // auth_failed: answered 429 (the address was over its budget), not 401
};

struct AuditFilter {
  std::optional<std::string> kind;
  std::optional<int64_t> since_ms; // inclusive
  std::optional<int64_t> until_ms; // exclusive
  std::optional<std::string> principal_id;
  std::optional<std::string> client_ip;
  std::size_t limit = 100;
  std::size_t offset = 0;
};

struct AuditPage {
  std::vector<AuditEntry> items; // newest first
  int64_t total = 0;             // rows matching the filter, ignoring limit/offset
};

struct AuditStats {
  uint64_t recorded = 0; // stored in the database
  uint64_t dropped = 0;  // refused because the queue was full, or lost to a write error
};

class AuditLog {
public:
  static constexpr std::size_t kDefaultQueueCapacity = 4096;
  // Aggregated auth_failed rows (address, minute) held in memory until their minute has passed.
  static constexpr std::size_t kMaxFailureTallies = 8192;

  // Starts the writer thread (which trims once at start, then hourly) and subscribes to
  // "audit_event". retention_ms >= 1 (else std::invalid_argument).
  AuditLog(storage::Database& db, bus::EventBus& bus, Logger& logger, int64_t retention_ms,
           std::size_t queue_capacity = kDefaultQueueCapacity);
  // Unsubscribes, stores what is queued, stops the writer.
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Never blocks on the database; unknown kinds are refused (logged). Safe from any thread.
  void record(AuditEntry entry);

  // Newest first. Throws storage::StorageError when the database fails.
  AuditPage list(const AuditFilter& filter) const;

  // Deletes rows older than now_ms - retention. Returns how many.
  std::size_t trim(int64_t now_ms);

  // Waits until the start-up trim has run and everything recorded so far is stored (tests,
  // shutdown). False on timeout.
  bool flush(int64_t timeout_ms);

  AuditStats stats() const;

private:
  // One aggregated auth_failed row in the making.
  struct FailureTally {
    AuditEntry first;
    int64_t minute = 0;
    uint64_t count = 0;
    uint64_t throttled = 0;
    std::vector<std::pair<std::string, uint64_t>> reasons;
    std::string network;       // an IPv6 client's /64, else ""
    uint64_t stored_count = 0; // failures already in the database row (or lost to a write error)
    int64_t row_id = 0;        // 0 = no row yet
  };
  struct TallyWrite {
    std::string key;
    AuditEntry first;
    uint64_t count = 0;
    uint64_t stored_before = 0;
    uint64_t throttled = 0;
    std::vector<std::pair<std::string, uint64_t>> reasons;
    std::string network;
    int64_t row_id = 0;
  };

  void writerLoop();
  void store(std::vector<AuditEntry>& batch);
  void storeTallies(std::vector<TallyWrite>& writes);
  void onBusEvent(const std::string& payload_json);
  // With mutex_ held: adds one failure to its tally. False when there is no room for a new one.
  bool tallyFailure(AuditEntry& entry);
  // With mutex_ held: up to one batch of the tallies with failures not yet in the database (a
  // copy; the JSON is built outside the lock so record() never waits long).
  std::vector<TallyWrite> takeDirtyTallies();
  // With mutex_ held: records what storeTallies wrote and forgets finished minutes.
  void settleTallies(const std::vector<TallyWrite>& writes);
  // With mutex_ held: forgets stored tallies of finished minutes.
  void pruneTallies(bool force);
  void noteDrop(bool& log_drop, uint64_t& dropped_now);

  storage::Database& db_;
  bus::EventBus& bus_;
  Logger& logger_;
  const int64_t retention_ms_;
  const std::size_t queue_capacity_;

  mutable std::mutex mutex_;
  std::condition_variable wake_cv_;
  std::condition_variable idle_cv_;
  std::deque<AuditEntry> queue_;
  std::unordered_map<std::string, FailureTally> tallies_;
  std::vector<std::string> dirty_keys_; // tallies with failures not yet written
  bool tallies_dirty_ = false;
  int64_t newest_failure_minute_ = 0;
  int64_t pruned_minute_ = 0;
  bool writing_ = false;
  bool trimmed_once_ = false; // the start-up trim has run (flush waits for it)
  bool stopping_ = false;
  uint64_t recorded_ = 0;
  uint64_t dropped_ = 0;
  uint64_t dropped_since_log_ = 0;
  int64_t last_drop_log_ms_ = 0;
  uint64_t subscription_ = 0;
  std::thread writer_;
};

} // namespace bambuddy::auth
