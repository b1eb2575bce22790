#include "periodic_task.h"

namespace bambuddy::auth_apikey {

PeriodicTask::PeriodicTask(int64_t interval_ms, std::function<void()> fn)
    : interval_(interval_ms), fn_(std::move(fn)), thread_([this] { loop(); }) {}

PeriodicTask::~PeriodicTask() {
  stop();
}

void PeriodicTask::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void PeriodicTask::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    fn_();
    lock.lock();
  }
}

} // namespace bambuddy::auth_apikey
