// The event journal: every lifecycle event (and every queue event) the server decides on is a row
// here before anything acts on it. It is written in the same transaction as the state that made
// the event (the lifecycle detector's memory), so after a crash either both exist or neither does,
// and in the second case the detector decides the event again from the printer's next report.
//
// Consumers (archives, queue, notification outbox, the bus for plugins) read it in order, each
// with a cursor of its own stored in journal_cursors (see JournalPump). Rows are trimmed only once
// every consumer has passed them and they are older than the retention.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace soci {
class session;
}

namespace bambuddy::storage {
class Database;
}

namespace bambuddy::journal {

struct JournalEntry {
  int64_t seq = 0;          // assigned when appended; strictly increasing, never reused
  std::string event_id;     // "evt_" + 24 hex; the id webhooks and the event stream carry
  std::string type;         // print_started, queue_item_added, ...
  int64_t printer_id = 0;   // 0 = not about one printer
  int64_t timestamp_ms = 0; // when the event was decided (UTC epoch ms)
  std::string payload_json; // the event data (an object)
  uint32_t payload_version = 1;
};

class EventJournal {
public:
  explicit EventJournal(storage::Database& db);
  EventJournal(const EventJournal&) = delete;
  EventJournal& operator=(const EventJournal&) = delete;

  // Appends the entries (in order) in one write transaction together with whatever
  // `same_transaction` writes on the same session (may be empty); either all of it is committed or
  // nothing. Fills in seq, and event_id / timestamp_ms when empty / 0. Wakes waitBeyond().
  // Throws on a database failure (nothing was appended then).
  void append(std::vector<JournalEntry>& entries,
              const std::function<void(soci::session&)>& same_transaction = nullptr);

  // Entries with seq > after_seq, oldest first, at most `limit`.
  std::vector<JournalEntry> readAfter(int64_t after_seq, int limit);

  // Replaces an entry's payload (the archives consumer adds archive_id before later consumers read).
  void updatePayload(int64_t seq, const std::string& payload_json);

  // The highest seq ever appended (0 for an empty journal).
  int64_t lastSeq();

  // A consumer's stored position (0 when it never stored one) and storing it.
  int64_t cursor(const std::string& consumer);
  void setCursor(const std::string& consumer, int64_t seq);
  // Several at once, in one transaction (names[i] gets seqs[i]).
  void setCursors(const std::vector<std::string>& names, const std::vector<int64_t>& seqs);
  // Positions a consumer that has never run at the journal's end, so a consumer added to an
  // existing installation starts with new events instead of replaying the whole history.
  // Returns its position.
  int64_t cursorOrEnd(const std::string& consumer);
  // The lowest stored position of `consumers` (one that never stored one counts as 0), in one
  // read: what every one of them has passed. 0 for an empty list.
  int64_t lowestCursor(const std::vector<std::string>& consumers);

  // Deletes entries every consumer in `consumers` has passed that are older than `before_ms`.
  // Returns how many rows went.
  int64_t trim(const std::vector<std::string>& consumers, int64_t before_ms);

  // Blocks until an entry beyond `seq` was appended (by this process), `timeout_ms` passed or
  // wake() was called. Returns true when there is something beyond `seq`.
  bool waitBeyond(int64_t seq, int64_t timeout_ms);
  void wake();

  // A new event id: "evt_" + 24 hex digits of a random 96-bit value.
  static std::string newEventId();

private:
  storage::Database& db_;
  std::mutex mutex_;
  std::condition_variable appended_cv_;
  int64_t last_seq_ = -1; // -1 = not read from the database yet
  uint64_t wakes_ = 0;
};

} // namespace bambuddy::journal
