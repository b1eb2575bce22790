#include "cluster/live_status_share.h"

#include "common/logger.h"
#include "common/time.h"
#include "storage/database.h"

#include <soci/soci.h>

#include <chrono>

namespace bambuddy::cluster {

namespace {

constexpr const char* kComponent = "cluster";
constexpr const char* kSequence = "printer_live";
constexpr int64_t kTrimIntervalMs = 60000;

} // namespace

LiveStatusShare::LiveStatusShare(storage::Database& db, Logger& logger, std::string instance_id,
                                 int64_t interval_ms, Apply apply)
    : db_(db), logger_(logger), instance_id_(std::move(instance_id)),
      interval_ms_(std::max<int64_t>(1, interval_ms)), apply_(std::move(apply)),
      last_trim_mono_ms_(monotonicMs()) {}

LiveStatusShare::~LiveStatusShare() {
  stop();
}

void LiveStatusShare::offer(int64_t printer_id, nlohmann::json answer) {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_[printer_id] = std::move(answer);
}

void LiveStatusShare::start() {
  tick(); // what the others show is here before the API serves
  std::lock_guard<std::mutex> lock(mutex_);
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void LiveStatusShare::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) {
    thread_.join();
  }
}

uint64_t LiveStatusShare::written() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return written_;
}

uint64_t LiveStatusShare::read() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return read_;
}

void LiveStatusShare::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [this] { return stopping_; });
    if (stopping_) {
      return;
    }
    lock.unlock();
    tick();
    lock.lock();
  }
}

void LiveStatusShare::tick() {
  std::lock_guard<std::mutex> round(round_mutex_);
  try {
    publish();
  } catch (const std::exception& e) {
    logger_.warn(kComponent,
                 std::string("writing live printer status failed (tried again next round): ") + e.what());
  }
  try {
    mirror();
  } catch (const std::exception& e) {
    logger_.warn(kComponent, std::string("reading live printer status failed: ") + e.what());
  }
  if (monotonicMs() - last_trim_mono_ms_ >= kTrimIntervalMs) {
    last_trim_mono_ms_ = monotonicMs();
    try {
      trimRemoved();
    } catch (const std::exception& e) {
      logger_.debug(kComponent, std::string("trimming live printer status failed: ") + e.what());
    }
  }
}

void LiveStatusShare::publish() {
  std::map<int64_t, nlohmann::json> batch;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    batch.swap(pending_);
  }
  if (batch.empty()) {
    return;
  }
  try {
    db_.write([&](soci::session& session) {
      // The sequence's row stays locked until commit: batches commit in number order.
      const std::string name = kSequence;
      soci::statement bump =
          (session.prepare << "UPDATE id_sequences SET last_value = last_value + 1 WHERE name = :name",
           soci::use(name));
      bump.execute(true);
      if (bump.get_affected_rows() == 0) {
        session << "INSERT INTO id_sequences (name, last_value) VALUES (:name, 1)", soci::use(name);
      }
      long long seq = 0;
      session << "SELECT last_value FROM id_sequences WHERE name = :name", soci::use(name), soci::into(seq);
      // All rows in one statement: the batch goes as one JSON array [{"id", "status"}, ...] that
      // the database unpacks (PostgreSQL's json_array_elements, SQLite's json_each).
      nlohmann::json rows = nlohmann::json::array();
      for (const auto& [printer_id, answer] : batch) {
        rows.push_back({{"id", printer_id},
                        {"status", answer.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)}});
      }
      const std::string packed = rows.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      long long now = nowUtcMs();
      const bool postgresql = db_.backend() == "postgresql";
      const std::string source =
          postgresql
              ? "SELECT CAST(e->>'id' AS BIGINT), CAST(:holder AS TEXT), CAST(:seq AS BIGINT), e->>'status', "
                "CAST(:now AS BIGINT) FROM json_array_elements(CAST(:rows AS json)) AS e"
              : "SELECT CAST(json_extract(value, '$.id') AS INTEGER), :holder, :seq, json_extract(value, "
                "'$.status'), :now FROM json_each(:rows) WHERE true";
      session << "INSERT INTO printer_live (printer_id, holder, seq, status, updated_at_ms) " << source
              << " ON CONFLICT (printer_id) DO UPDATE SET holder = excluded.holder, seq = excluded.seq, "
                 "status = excluded.status, updated_at_ms = excluded.updated_at_ms",
          soci::use(instance_id_), soci::use(seq), soci::use(now), soci::use(packed);
    });
  } catch (...) {
    // Not written: offered again unless something newer came meanwhile.
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [printer_id, answer] : batch) {
      pending_.emplace(printer_id, std::move(answer));
    }
    throw;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  written_ += batch.size();
}

void LiveStatusShare::mirror() {
  std::vector<std::pair<int64_t, nlohmann::json>> answers;
  int64_t highest = seen_seq_;
  db_.read([&](soci::session& session) {
    long long seen = seen_seq_, id = 0, seq = 0;
    std::string holder, text;
    soci::statement st =
        (session.prepare << "SELECT printer_id, holder, seq, status FROM printer_live WHERE "
                            "seq > :seen ORDER BY seq, printer_id",
         soci::into(id), soci::into(holder), soci::into(seq), soci::into(text), soci::use(seen));
    st.execute();
    while (st.fetch()) {
      highest = std::max<int64_t>(highest, seq);
      if (holder == instance_id_) {
        continue; // this instance's own
      }
      nlohmann::json answer = nlohmann::json::parse(text, nullptr, false);
      if (answer.is_object()) {
        answers.emplace_back(id, std::move(answer));
      }
    }
  });
  seen_seq_ = highest;
  if (!answers.empty()) {
    apply_(answers);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  read_ += answers.size();
}

void LiveStatusShare::trimRemoved() {
  db_.write([](soci::session& session) {
    session << "DELETE FROM printer_live WHERE printer_id NOT IN (SELECT id FROM printers)";
  });
}

} // namespace bambuddy::cluster
