#include "notifications/test_pool.h"

#include <algorithm>

namespace bambuddy::notifications {

TestPool::TestPool(int threads, size_t queue_capacity)
    : threads_count_(static_cast<size_t>(std::max(1, threads))), queue_capacity_(queue_capacity) {
  for (size_t i = 0; i < threads_count_; ++i) {
    threads_.emplace_back([this] { loop(); });
  }
}

TestPool::~TestPool() {
  stop();
}

bool TestPool::hasRoom() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return !stopping_ && running_ + queue_.size() < threads_count_ + queue_capacity_;
}

bool TestPool::submit(std::function<void()> task, std::function<void()> dropped) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || running_ + queue_.size() >= threads_count_ + queue_capacity_) {
      return false;
    }
    queue_.push_back(Task{std::move(task), std::move(dropped)});
  }
  cv_.notify_one();
  return true;
}

void TestPool::stop() {
  std::deque<Task> left;
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    left.swap(queue_);
    threads.swap(threads_);
  }
  cv_.notify_all();
  for (Task& task : left) {
    if (task.dropped) {
      task.dropped();
    }
  }
  for (std::thread& t : threads) {
    t.join();
  }
}

void TestPool::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) {
      return;
    }
    Task task = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    try {
      task.run();
    } catch (...) {
      // The task reports its own failures; a thread of this pool must survive them.
    }
    lock.lock();
    --running_;
  }
}

} // namespace bambuddy::notifications
