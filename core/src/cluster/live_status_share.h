// Live printer status across server instances on one PostgreSQL database. Only the instance that
// holds a printer's lease is connected to it, yet every instance answers GET /printers/{id}/status
// and streams `status` events: the holder writes each printer's latest status answer to the table
// `printer_live` (coalesced: at most once per interval per printer), and every instance reads the
// rows others wrote since it last looked and hands them to the registry.
//
// Order without clocks: each written batch takes the next number of the `printer_live` sequence
// while its transaction holds that sequence's row, so batches commit in number order and a reader
// that remembers the highest number it saw never misses one.
//
// Threading: offer() from any thread (the status feed's); one thread of its own writes and reads
// every interval_ms and calls `apply` on it with no lock held.
#pragma once

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace bambuddy {
class Logger;
namespace storage {
class Database;
}
} // namespace bambuddy

namespace bambuddy::cluster {

class LiveStatusShare {
public:
  // Status answers other instances published, by printer id (oldest first).
  using Apply = std::function<void(const std::vector<std::pair<int64_t, nlohmann::json>>& answers)>;

  // `db` must outlive this object.
  LiveStatusShare(storage::Database& db, Logger& logger, std::string instance_id, int64_t interval_ms,
                  Apply apply);
  ~LiveStatusShare(); // stop()
  LiveStatusShare(const LiveStatusShare&) = delete;
  LiveStatusShare& operator=(const LiveStatusShare&) = delete;

  // The latest status answer of a printer this instance connects; replaces one not yet written.
  void offer(int64_t printer_id, nlohmann::json answer);
  void start();
  void stop(); // idempotent; what was offered but not written is dropped (the next holder writes)

  // One round now on the calling thread (tests): write what was offered, read what others wrote.
  void tick();
  // Rows written and read so far (tests, logs).
  uint64_t written() const;
  uint64_t read() const;

private:
  void run();
  void publish();
  void mirror();
  void trimRemoved();

  storage::Database& db_;
  Logger& logger_;
  const std::string instance_id_;
  const int64_t interval_ms_;
  Apply apply_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::map<int64_t, nlohmann::json> pending_;
  bool stopping_ = false;
  uint64_t written_ = 0, read_ = 0;
  std::thread thread_;

  std::mutex round_mutex_; // one round at a time (thread, tick())
  int64_t seen_seq_ = 0;   // the highest batch number read
  int64_t last_trim_mono_ms_ = 0;
};

} // namespace bambuddy::cluster
