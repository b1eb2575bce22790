// A background thread that runs one function every interval until stopped.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace bambuddy::auth_apikey {

class PeriodicTask {
public:
  // Starts the thread; the first run is one interval from now. Runs never overlap, and the next
  // wait starts when a run ends, so two runs are always at least `interval_ms` apart.
  PeriodicTask(int64_t interval_ms, std::function<void()> fn);
  ~PeriodicTask(); // stop()
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  // Wakes the thread and joins it; a run in progress completes first. Idempotent.
  void stop();

private:
  void loop();

  std::chrono::milliseconds interval_;
  std::function<void()> fn_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace bambuddy::auth_apikey
