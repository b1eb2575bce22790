#include "command_queue.h"

#include <pthread.h>

namespace bambuddy::notifier_mqtt {

CommandQueue::CommandQueue(Handler handler) : handler_(std::move(handler)), thread_([this] { run(); }) {}

CommandQueue::~CommandQueue() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    pending_.clear();
  }
  wake_.notify_all();
  thread_.join();
}

bool CommandQueue::push(PrinterCommandRequest request) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || pending_.size() >= kCapacity) {
      ++dropped_;
      return false;
    }
    pending_.push_back(std::move(request));
  }
  wake_.notify_one();
  return true;
}

uint64_t CommandQueue::dropped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_;
}

void CommandQueue::run() {
  pthread_setname_np(pthread_self(), "mqtt-commands");
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
    if (stopping_) {
      return;
    }
    PrinterCommandRequest request = std::move(pending_.front());
    pending_.pop_front();
    lock.unlock();
    handler_(request);
    lock.lock();
  }
}

} // namespace bambuddy::notifier_mqtt
