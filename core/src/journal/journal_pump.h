// Feeds the event journal to its consumers, in a declared order, on one thread of its own.
//
// Each consumer has a cursor in journal_cursors, stored after every batch (up to 256 entries, one
// transaction for all cursors), so a restart (or a kill -9) resumes it at the first batch it had
// not finished: consumers must tolerate being handed entries they already handled. A consumer never sees an
// entry before every consumer declared ahead of it has handled it, so the archives consumer can add
// archive_id to an entry that the queue and the outbox then read. No consumer runs under another's lock: the
// pump holds none while it calls them.
//
// A consumer that throws is retried on the same entry (with a growing pause up to 5 s) and holds
// up the consumers behind it, never the ones ahead: an entry is never skipped because a database
// write failed once.
#pragma once

#include "common/latency_histogram.h"
#include "journal/event_journal.h"

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace bambuddy {
class Logger;
}

namespace bambuddy::journal {

// Where an entry's time goes on its way through the pump (bambuddy_journal_stage_seconds).
struct JournalStage {
  std::string name;       // "pickup" (decided -> read by the pump) or a consumer's name
  LatencyHistogram times; // pickup: from the entry's timestamp; a consumer: its handle() call
};

struct JournalConsumer {
  std::string name; // its cursor's key; stable across releases
  // Handles one entry; may change entry.payload_json for the consumers behind it (then call
  // EventJournal::updatePayload so a restart sees the same). Throws to be retried.
  std::function<void(JournalEntry& entry)> handle;
  // Handled once for the whole farm (archives, queue, notifications): with several server
  // instances, by the one that holds the "journal" lease (setLeading). false: by every instance
  // for its own clients (the event stream, the bus), after the farm's consumers, cursor in memory.
  bool farm = true;
};

class JournalPump {
public:
  JournalPump(EventJournal& journal, Logger& logger);
  ~JournalPump(); // stop()
  JournalPump(const JournalPump&) = delete;
  JournalPump& operator=(const JournalPump&) = delete;

  // Before start(): consumers run in the order they were added.
  void addConsumer(JournalConsumer consumer);

  // Before start(): several server instances share the journal (cluster/cluster_coordinator.h).
  // The farm consumers then run only while setLeading(true); an instance that does not lead runs
  // its own consumers on what the leader's have handled (their stored cursors), and looks for new
  // entries every `poll_ms`, since other instances' appends wake nothing here.
  void setShared(int64_t poll_ms);
  // Any thread. Takes effect before the next entry; on gaining the lead the farm cursors are read
  // again from the database, where the previous leader left them.
  void setLeading(bool leading);

  // Loads the cursors; a consumer that never ran is positioned at the journal's end and that
  // position is stored. Call it before anything can append to the journal in this run (the server
  // does, before its printers start): an entry appended before a new consumer is positioned would
  // be taken for history and skipped, such as every print_started of a fresh installation's first
  // seconds. Idempotent; start() calls it when it was not called.
  void loadCursors();
  // Starts the thread, which first catches up on what an earlier run (or this one, since
  // loadCursors) left unhandled.
  void start();
  // Finishes the entry in hand and joins the thread. Idempotent.
  void stop();

  // For tests and orderly shutdown: true once every consumer handled every entry appended so far.
  bool waitIdle(int64_t timeout_ms);

  // The names of the consumers whose cursors this instance stores (all of them, unless the journal
  // is shared: then the farm consumers), for EventJournal::trim.
  std::vector<std::string> consumerNames() const;

  // "pickup" first, then each consumer in order (any thread).
  std::vector<JournalStage> stages() const;

private:
  void run();
  // Whether `c`'s cursor is stored (see consumerNames()).
  bool storesCursor(const JournalConsumer& c) const { return !shared_ || c.farm; }
  // Stores the cursors of the consumers this instance keeps in the database; retried until it works.
  void storeCursors();
  // Hands one entry to consumer `index`; retries until it succeeds or the pump stops.
  bool handleWithRetry(size_t index, JournalEntry& entry);

  EventJournal& journal_;
  Logger& logger_;
  std::vector<JournalConsumer> consumers_;
  std::vector<int64_t> cursors_;
  bool cursors_loaded_ = false;
  bool shared_ = false;    // several server instances (setShared)
  int64_t poll_ms_ = 1000; // how long an idle pump waits before it reads the journal again
  std::atomic<bool> leading_{true};
  bool was_leading_ = true;          // the run thread's view, to notice a change of lead
  std::atomic<int64_t> done_seq_{0}; // every consumer is at or past this
  std::atomic<bool> stopping_{false};
  mutable std::mutex stages_mutex_;
  std::vector<JournalStage> stages_; // the run thread writes, stages() reads
  std::thread thread_;
};

} // namespace bambuddy::journal
