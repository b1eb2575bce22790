#include "journal/event_journal.h"

#include "storage/database.h"
#include "storage/id_sequence.h"

#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <stdexcept>

namespace bambuddy::journal {

namespace {

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

} // namespace

EventJournal::EventJournal(storage::Database& db) : db_(db) {}

std::string EventJournal::newEventId() {
  unsigned char bytes[12];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    throw std::runtime_error("no random bytes for an event id");
  }
  static const char kHex[] = "0123456789abcdef";
  std::string id = "evt_";
  for (unsigned char b : bytes) {
    id += kHex[b >> 4];
    id += kHex[b & 15];
  }
  return id;
}

void EventJournal::append(std::vector<JournalEntry>& entries,
                          const std::function<void(soci::session&)>& same_transaction) {
  if (entries.empty() && !same_transaction) {
    return;
  }
  for (JournalEntry& e : entries) {
    if (e.event_id.empty()) {
      e.event_id = newEventId();
    }
    if (e.timestamp_ms == 0) {
      e.timestamp_ms = nowMs();
    }
  }
  // The in-process order of appends is the seq order: two appenders never interleave their ids
  // and their commits, so a consumer that saw seq N never later finds a smaller one committed.
  std::lock_guard<std::mutex> lock(mutex_);
  int64_t last = 0;
  db_.write([&](soci::session& session) {
    if (same_transaction) {
      same_transaction(session);
    }
    for (JournalEntry& e : entries) {
      long long id = storage::nextId(session, "event_journal", "event_journal");
      long long printer = e.printer_id, at = e.timestamp_ms;
      int version = static_cast<int>(e.payload_version);
      session << "INSERT INTO event_journal (id, event_id, type, printer_id, created_at_ms, payload, "
                 "payload_version) VALUES (:id, :event_id, :type, :printer, :at, :payload, :version)",
          soci::use(id), soci::use(e.event_id), soci::use(e.type), soci::use(printer), soci::use(at),
          soci::use(e.payload_json), soci::use(version);
      e.seq = id;
      last = id;
    }
  });
  if (last > 0) {
    last_seq_ = std::max(last_seq_, last);
    appended_cv_.notify_all();
  }
}

std::vector<JournalEntry> EventJournal::readAfter(int64_t after_seq, int limit) {
  return db_.read([&](soci::session& session) {
    std::vector<JournalEntry> out;
    long long after = after_seq, id = 0, printer = 0, at = 0;
    int max_rows = limit, version = 1;
    std::string event_id, type, payload;
    soci::statement st =
        (session.prepare << "SELECT id, event_id, type, printer_id, created_at_ms, payload, "
                            "payload_version FROM event_journal WHERE id > :after "
                            "ORDER BY id LIMIT :limit",
         soci::into(id), soci::into(event_id), soci::into(type), soci::into(printer), soci::into(at),
         soci::into(payload), soci::into(version), soci::use(after), soci::use(max_rows));
    st.execute();
    while (st.fetch()) {
      JournalEntry e;
      e.seq = id;
      e.event_id = event_id;
      e.type = type;
      e.printer_id = printer;
      e.timestamp_ms = at;
      e.payload_json = payload;
      e.payload_version = static_cast<uint32_t>(version);
      out.push_back(std::move(e));
    }
    return out;
  });
}

void EventJournal::updatePayload(int64_t seq, const std::string& payload_json) {
  db_.write([&](soci::session& session) {
    long long id = seq;
    session << "UPDATE event_journal SET payload = :payload WHERE id = :id", soci::use(payload_json),
        soci::use(id);
  });
}

int64_t EventJournal::lastSeq() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (last_seq_ >= 0) {
      return last_seq_;
    }
  }
  // The sequence row outlives trimmed entries, so it is the true end even of an empty table.
  long long last = db_.read([](soci::session& session) {
    long long value = 0;
    soci::indicator ind = soci::i_null;
    session << "SELECT MAX(last_value) FROM id_sequences WHERE name = 'event_journal'",
        soci::into(value, ind);
    long long rows = 0;
    soci::indicator rows_ind = soci::i_null;
    session << "SELECT MAX(id) FROM event_journal", soci::into(rows, rows_ind);
    return std::max(ind == soci::i_ok ? value : 0LL, rows_ind == soci::i_ok ? rows : 0LL);
  });
  std::lock_guard<std::mutex> lock(mutex_);
  last_seq_ = std::max<int64_t>(last_seq_, last);
  return last_seq_;
}

int64_t EventJournal::cursor(const std::string& consumer) {
  return db_.read([&](soci::session& session) {
    long long seq = 0;
    soci::indicator ind = soci::i_null;
    session << "SELECT seq FROM journal_cursors WHERE consumer = :consumer", soci::use(consumer),
        soci::into(seq, ind);
    return session.got_data() && ind == soci::i_ok ? static_cast<int64_t>(seq) : int64_t{0};
  });
}

void EventJournal::setCursor(const std::string& consumer, int64_t seq) {
  db_.write([&](soci::session& session) {
    long long value = seq;
    session << "INSERT INTO journal_cursors (consumer, seq) VALUES (:consumer, :seq) "
               "ON CONFLICT (consumer) DO UPDATE SET seq = excluded.seq",
        soci::use(consumer), soci::use(value);
  });
}

void EventJournal::setCursors(const std::vector<std::string>& names, const std::vector<int64_t>& seqs) {
  db_.write([&](soci::session& session) {
    for (size_t i = 0; i < names.size() && i < seqs.size(); ++i) {
      long long value = seqs[i];
      session << "INSERT INTO journal_cursors (consumer, seq) VALUES (:consumer, :seq) "
                 "ON CONFLICT (consumer) DO UPDATE SET seq = excluded.seq",
          soci::use(names[i]), soci::use(value);
    }
  });
}

int64_t EventJournal::cursorOrEnd(const std::string& consumer) {
  const std::optional<int64_t> stored = db_.read([&](soci::session& session) -> std::optional<int64_t> {
    long long seq = 0;
    session << "SELECT seq FROM journal_cursors WHERE consumer = :consumer", soci::use(consumer),
        soci::into(seq);
    if (!session.got_data()) {
      return std::nullopt;
    }
    return static_cast<int64_t>(seq);
  });
  if (stored) {
    return *stored;
  }
  const int64_t end = lastSeq();
  setCursor(consumer, end);
  return end;
}

int64_t EventJournal::lowestCursor(const std::vector<std::string>& consumers) {
  if (consumers.empty()) {
    return 0;
  }
  const std::map<std::string, int64_t> stored = db_.read([](soci::session& session) {
    std::map<std::string, int64_t> out;
    std::string consumer;
    long long seq = 0;
    soci::statement st = (session.prepare << "SELECT consumer, seq FROM journal_cursors",
                          soci::into(consumer), soci::into(seq));
    st.execute();
    while (st.fetch()) {
      out[consumer] = seq;
    }
    return out;
  });
  int64_t lowest = std::numeric_limits<int64_t>::max();
  for (const std::string& c : consumers) {
    auto it = stored.find(c);
    lowest = std::min(lowest, it == stored.end() ? int64_t{0} : it->second);
  }
  return lowest;
}

int64_t EventJournal::trim(const std::vector<std::string>& consumers, int64_t before_ms) {
  if (consumers.empty()) {
    return 0;
  }
  const int64_t lowest = lowestCursor(consumers);
  if (lowest <= 0) {
    return 0;
  }
  return db_.write([&](soci::session& session) {
    long long upto = lowest, before = before_ms;
    soci::statement st =
        (session.prepare << "DELETE FROM event_journal WHERE id <= :upto AND created_at_ms < "
                            ":before",
         soci::use(upto), soci::use(before));
    st.execute(true);
    return static_cast<int64_t>(st.get_affected_rows());
  });
}

bool EventJournal::waitBeyond(int64_t seq, int64_t timeout_ms) {
  std::unique_lock<std::mutex> lock(mutex_);
  const uint64_t wakes = wakes_;
  appended_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                        [&] { return last_seq_ > seq || wakes_ != wakes; });
  return last_seq_ > seq;
}

void EventJournal::wake() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++wakes_;
  }
  appended_cv_.notify_all();
}

} // namespace bambuddy::journal
