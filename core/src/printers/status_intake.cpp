#include "printers/status_intake.h"

#include "bus/event_bus.h"
#include "bus/topics.h"
#include "common/logger.h"
#include "common/time.h"

#include <chrono>
#include <vector>

namespace bambuddy::printers {

namespace {
constexpr const char* kComponent = "printers";
constexpr std::size_t kBatchPerInstance = 32; // then the next instance gets its turn
} // namespace

StatusIntake::StatusIntake(Logger& logger, bus::EventBus* bus, std::size_t max_pending, int64_t max_wait_ms)
    : logger_(logger), bus_(bus), max_pending_(std::max<std::size_t>(1, max_pending)),
      max_wait_ms_(std::max<int64_t>(0, max_wait_ms)) {}

StatusIntake::~StatusIntake() {
  stop();
}

void StatusIntake::addSink(Sink sink) {
  sinks_.push_back(std::move(sink));
}

void StatusIntake::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (running_ || stopping_) {
    return;
  }
  running_ = true;
  thread_ = std::thread([this] { run(); });
}

void StatusIntake::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  room_cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

bool StatusIntake::push(std::string driver, std::string instance_id, nlohmann::json status) {
  Key key{std::move(driver), std::move(instance_id)};
  std::unique_lock<std::mutex> lock(mutex_);
  auto full = [&] {
    auto it = fifos_.find(key);
    return it != fifos_.end() && it->second.size() >= max_pending_;
  };
  if (!stopping_ && full()) {
    ++waited_;
    room_cv_.wait_for(lock, std::chrono::milliseconds(max_wait_ms_), [&] { return stopping_ || !full(); });
  }
  if (stopping_ || full()) {
    ++refused_;
    const int64_t now = monotonicMs();
    if (now - last_refusal_log_ms_ >= 1000) {
      last_refusal_log_ms_ = now;
      lock.unlock();
      logger_.warn(kComponent, "status report of " + key.first + "/" + key.second +
                                   " refused: the core is not keeping up with its reports");
    }
    return false;
  }
  std::deque<nlohmann::json>& fifo = fifos_[key];
  if (fifo.empty()) {
    ready_.push_back(key);
  }
  fifo.push_back(std::move(status));
  ++pending_;
  ++accepted_;
  lock.unlock();
  work_cv_.notify_one();
  return true;
}

void StatusIntake::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    work_cv_.wait(lock, [&] { return stopping_ || !ready_.empty(); });
    if (ready_.empty()) {
      break; // stopping and drained
    }
    Key key = ready_.front();
    ready_.pop_front();
    std::deque<nlohmann::json>& fifo = fifos_[key];
    std::vector<nlohmann::json> batch;
    while (!fifo.empty() && batch.size() < kBatchPerInstance) {
      batch.push_back(std::move(fifo.front()));
      fifo.pop_front();
    }
    if (fifo.empty()) {
      fifos_.erase(key);
    } else {
      ready_.push_back(key);
    }
    pending_ -= batch.size();
    in_hand_ = batch.size();
    lock.unlock();
    room_cv_.notify_all();
    nlohmann::json latest;
    for (nlohmann::json& status : batch) {
      const bool last = &status == &batch.back();
      nlohmann::json copy = last && bus_ != nullptr ? status : nlohmann::json();
      for (const Sink& sink : sinks_) {
        try {
          if (sink(key.first, key.second, status)) {
            break;
          }
        } catch (const std::exception& e) {
          logger_.warn(kComponent, "status report of " + key.first + "/" + key.second + ": " + e.what());
          break;
        }
      }
      if (last) {
        latest = std::move(copy);
      }
    }
    if (bus_ != nullptr && !latest.is_null() &&
        bus_->hasSubscribers(bus::topics::kPrinterStatusReported.name)) {
      nlohmann::json payload = {
          {"plugin", key.first}, {"instance", key.second}, {"status", std::move(latest)}};
      bus_->publish(bus::topics::kPrinterStatusReported, payload.dump());
    }
    lock.lock();
    in_hand_ = 0;
    if (pending_ == 0) {
      room_cv_.notify_all();
    }
  }
}

bool StatusIntake::waitIdle(int64_t timeout_ms) {
  std::unique_lock<std::mutex> lock(mutex_);
  return room_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                           [&] { return pending_ == 0 && in_hand_ == 0; });
}

IntakeStats StatusIntake::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {accepted_, refused_, waited_, pending_};
}

} // namespace bambuddy::printers
