// The threads that send provider tests (POST /notifications/{id}/test), so a receiver that never
// answers holds one of these and never an HTTP worker. Bounded both ways: a fixed number of
// threads and a fixed number of waiting tests; a test that does not fit is refused at once (the
// route answers 429), so a flood of tests cannot make threads or memory grow.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace bambuddy::notifications {

class TestPool {
public:
  // `threads` (at least 1) run tests; at most `queue_capacity` wait for one.
  TestPool(int threads, size_t queue_capacity);
  ~TestPool(); // stop()
  TestPool(const TestPool&) = delete;
  TestPool& operator=(const TestPool&) = delete;

  // False when every thread is busy and the queue is full, or after stop().
  bool hasRoom() const;
  // Queues `task`; false (task not run) when there is no room. `dropped` runs instead of `task`
  // when stop() finds it still waiting.
  bool submit(std::function<void()> task, std::function<void()> dropped);
  // Runs nothing more that waits (their `dropped` runs), waits for the running tests. Idempotent.
  void stop();

private:
  struct Task {
    std::function<void()> run;
    std::function<void()> dropped;
  };
  void loop();

  const size_t threads_count_;
  const size_t queue_capacity_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

} // namespace bambuddy::notifications
