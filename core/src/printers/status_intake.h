// Where drivers' status reports enter the core (bb_host_api.report_status), on a path of their own.
//
// Every report reaches the lifecycle detector, in the order its driver reported it: a finish that
// lasted one report must not vanish because a newer report replaced it. So the intake keeps a FIFO
// per driver instance and never drops from it while the core keeps up. One thread drains the
// instances round robin (a chatty printer cannot starve a quiet one) and hands each report to the
// sinks: the printer registry, then connection checks.
//
// Memory stays bounded: an instance may have at most `max_pending` reports waiting. A driver that
// reports faster than the core can follow is slowed down (report_status waits, at most
// `max_wait_ms`); only past that is its report refused, counted and logged.
//
// After the sinks, the latest report of each drained batch (latest wins) goes to the event bus as
// printer_status_reported for plugins that watch status; that copy may be dropped when the bus is
// full, which is harmless because nothing decides events from it.
#pragma once

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

namespace bambuddy {
class Logger;
namespace bus {
class EventBus;
}
} // namespace bambuddy

namespace bambuddy::printers {

struct IntakeStats {
  uint64_t accepted = 0;
  uint64_t refused = 0; // waited max_wait_ms for room, or the intake was stopping
  uint64_t waited = 0;  // reports whose driver had to wait for room
  std::size_t pending = 0;
};

class StatusIntake {
public:
  // Takes one report; returns true when it was the sink's (later sinks do not see it).
  using Sink =
      std::function<bool(const std::string& driver, const std::string& instance_id, nlohmann::json& status)>;

  StatusIntake(Logger& logger, bus::EventBus* bus, std::size_t max_pending = 256, int64_t max_wait_ms = 2000);
  ~StatusIntake(); // stop()
  StatusIntake(const StatusIntake&) = delete;
  StatusIntake& operator=(const StatusIntake&) = delete;

  // Before start().
  void addSink(Sink sink);
  // Reports pushed before start() wait in their FIFOs.
  void start();
  // Hands what is queued to the sinks, then joins the thread; later pushes are refused. Idempotent.
  void stop();

  // On the driver's thread. False when refused (see above).
  bool push(std::string driver, std::string instance_id, nlohmann::json status);

  // For tests: true once every report pushed so far went through the sinks.
  bool waitIdle(int64_t timeout_ms);
  IntakeStats stats() const;

private:
  using Key = std::pair<std::string, std::string>;
  void run();

  Logger& logger_;
  bus::EventBus* bus_;
  const std::size_t max_pending_;
  const int64_t max_wait_ms_;
  std::vector<Sink> sinks_;

  mutable std::mutex mutex_;
  std::condition_variable work_cv_; // the worker: a report arrived, or stop
  std::condition_variable room_cv_; // drivers: a FIFO has room again; waitIdle: drained
  std::map<Key, std::deque<nlohmann::json>> fifos_;
  std::deque<Key> ready_; // instances with reports waiting, each once, in arrival order
  std::size_t pending_ = 0;
  std::size_t in_hand_ = 0; // reports taken by the worker and not yet through the sinks
  bool running_ = false;
  bool stopping_ = false;
  uint64_t accepted_ = 0, refused_ = 0, waited_ = 0;
  int64_t last_refusal_log_ms_ = 0;
  std::thread thread_;
};

} // namespace bambuddy::printers
