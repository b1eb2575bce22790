// Fixed-size thread pool with a bounded FIFO queue. Request handlers run here so a slow database
// or printer call never stalls a Pistache reactor thread (and every connection on it).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace bambuddy::http {

class WorkerPool {
public:
  // Starts `threads` workers (at least 1); at most `queue_capacity` tasks wait (at least 1).
  WorkerPool(int threads, size_t queue_capacity);
  ~WorkerPool(); // stop()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues a task; false when the queue is full or the pool is stopping. Tasks should not throw;
  // one that does is swallowed so the worker survives.
  bool post(std::function<void()> task);

  // Refuses new tasks, runs everything already queued, then joins the workers. Idempotent.
  // Must not be called from a task (throws std::logic_error).
  void stop();

  size_t queued() const;
  // True when the calling thread is one of this pool's workers.
  bool onWorkerThread() const;

private:
  void run();

  const size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  std::vector<std::thread::id> thread_ids_; // written once in the constructor; join() clears threads_' ids
  std::mutex join_mutex_;                   // serializes concurrent stop() calls
};

} // namespace bambuddy::http
