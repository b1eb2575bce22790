#include "bus/event_bus.h"

#include "common/logger.h"
#include "common/time.h"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <stdexcept>
#include <utility>

namespace bambuddy::bus {

namespace {
constexpr const char* kComponent = "bus";
constexpr int64_t kOverflowWarningIntervalMs = 1000;
constexpr const char* kWildcard = "*";
constexpr char kHex[] = "0123456789abcdef";
} // namespace

struct EventBus::Subscription {
  SubscriptionId id = 0;
  std::string topic;
  const void* owner = nullptr;
  Handler handler;
  // Both guarded by subs_mutex_. A handler is only called while `active`, and the thread calling
  // it is listed in `running_on` for the duration, which is what unsubscribe() waits on.
  bool active = true;
  std::vector<std::thread::id> running_on;
};

EventBus::EventBus(Logger& logger, std::size_t queue_capacity, int dispatch_threads)
    : logger_(logger), queue_capacity_(queue_capacity), dispatch_thread_count_(dispatch_threads) {
  if (queue_capacity == 0) {
    throw std::invalid_argument("event bus queue capacity must be at least 1");
  }
  if (dispatch_threads < 1) {
    throw std::invalid_argument("event bus needs at least one dispatch thread");
  }
  std::random_device device;
  std::seed_seq seed{device(), device(), device(), device(), device(), device()};
  id_random_.seed(seed);
}

EventBus::~EventBus() {
  stop();
  std::lock_guard<std::mutex> lock(queue_mutex_);
  if (!queue_.empty()) {
    logger_.warn(kComponent, "discarding " + std::to_string(queue_.size()) +
                                 " undelivered event(s) queued while the bus was not running");
  }
}

void EventBus::start() {
  std::lock_guard<std::mutex> lock(queue_mutex_);
  if (state_ == State::Running || state_ == State::Stopping) {
    return;
  }
  state_ = State::Running;
  for (int i = 0; i < dispatch_thread_count_; ++i) {
    threads_.emplace_back([this] { dispatchLoop(); });
    // Recorded under the lock the new thread needs before it can run any handler.
    dispatch_ids_.push_back(threads_.back().get_id());
  }
}

void EventBus::stop() {
  if (onDispatchThread()) {
    logger_.error(kComponent, "stop() called from an event handler; the bus stops once the queue drains "
                              "but the threads must be joined by a later stop() from another thread");
    std::lock_guard<std::mutex> lock(queue_mutex_);
    if (state_ == State::Running) {
      state_ = State::Stopping;
    }
    queue_cv_.notify_all();
    return;
  }
  std::vector<std::thread> threads;
  {
    std::unique_lock<std::mutex> lock(queue_mutex_);
    if (state_ == State::Idle || state_ == State::Stopped) {
      state_ = State::Stopped;
      return;
    }
    if (threads_.empty()) {
      // Another thread is already joining: wait for it so every stop() returns stopped.
      idle_cv_.wait(lock, [this] { return state_ == State::Stopped; });
      return;
    }
    state_ = State::Stopping;
    threads.swap(threads_);
  }
  queue_cv_.notify_all();
  for (std::thread& thread : threads) {
    thread.join();
  }
  std::lock_guard<std::mutex> lock(queue_mutex_);
  state_ = State::Stopped;
  dispatch_ids_.clear();
  idle_cv_.notify_all();
}

bool EventBus::onDispatchThread() const {
  std::lock_guard<std::mutex> lock(queue_mutex_);
  return std::find(dispatch_ids_.begin(), dispatch_ids_.end(), std::this_thread::get_id()) !=
         dispatch_ids_.end();
}

SubscriptionId EventBus::subscribe(const std::string& topic, Handler handler, const void* owner) {
  if (topic.empty()) {
    throw std::invalid_argument("subscribe: empty topic");
  }
  if (!handler) {
    throw std::invalid_argument("subscribe: empty handler for topic '" + topic + "'");
  }
  auto sub = std::make_shared<Subscription>();
  sub->topic = topic;
  sub->owner = owner;
  sub->handler = std::move(handler);
  std::lock_guard<std::mutex> lock(subs_mutex_);
  sub->id = next_id_++;
  by_id_.emplace(sub->id, sub);
  by_topic_[topic].push_back(sub); // ids only grow, so each list stays in id order
  return sub->id;
}

void EventBus::retire(const SubscriptionPtr& sub, std::unique_lock<std::mutex>& lock,
                      std::vector<Handler>& released) {
  auto self = std::this_thread::get_id();
  // A call on this very thread is the handler unsubscribing itself: it cannot be waited for.
  subs_cv_.wait(lock, [&] {
    return std::all_of(sub->running_on.begin(), sub->running_on.end(),
                       [&](std::thread::id id) { return id == self; });
  });
  if (sub->running_on.empty()) {
    released.push_back(std::move(sub->handler));
    sub->handler = nullptr;
  }
}

bool EventBus::unsubscribe(SubscriptionId id) {
  std::vector<Handler> released; // destroyed after the lock is dropped: captures may run any code
  std::unique_lock<std::mutex> lock(subs_mutex_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) {
    return false;
  }
  SubscriptionPtr sub = it->second;
  by_id_.erase(it);
  auto topic = by_topic_.find(sub->topic);
  if (topic != by_topic_.end()) {
    auto& list = topic->second;
    list.erase(std::remove(list.begin(), list.end(), sub), list.end());
    if (list.empty()) {
      by_topic_.erase(topic);
    }
  }
  sub->active = false;
  retire(sub, lock, released);
  lock.unlock();
  return true;
}

std::size_t EventBus::unsubscribeOwner(const void* owner) {
  std::vector<Handler> released;
  std::unique_lock<std::mutex> lock(subs_mutex_);
  std::vector<SubscriptionPtr> mine;
  for (auto it = by_id_.begin(); it != by_id_.end();) {
    if (it->second->owner == owner) {
      mine.push_back(it->second);
      it->second->active = false; // all deactivated before waiting on any of them
      it = by_id_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = by_topic_.begin(); it != by_topic_.end();) {
    auto& list = it->second;
    list.erase(
        std::remove_if(list.begin(), list.end(), [&](const SubscriptionPtr& s) { return s->owner == owner; }),
        list.end());
    it = list.empty() ? by_topic_.erase(it) : std::next(it);
  }
  for (const SubscriptionPtr& sub : mine) {
    retire(sub, lock, released);
  }
  lock.unlock();
  return mine.size();
}

bool EventBus::publish(std::string type, std::string payload_json, uint32_t payload_version) {
  Event event;
  event.type = std::move(type);
  event.payload_json = std::move(payload_json);
  event.payload_version = payload_version;
  return publish(std::move(event));
}

std::string EventBus::newEventId() {
  uint64_t high = id_random_();
  uint64_t low = id_random_();
  std::string id = "evt_";
  id.reserve(28);
  for (int shift = 60; shift >= 0; shift -= 4) {
    id += kHex[(high >> shift) & 0xF];
  }
  for (int shift = 28; shift >= 0; shift -= 4) {
    id += kHex[(low >> shift) & 0xF];
  }
  return id;
}

bool EventBus::publish(Event event) {
  if (event.type.empty() || event.type == kWildcard) {
    logger_.warn(kComponent, "refused an event with an invalid type '" + event.type + "'");
    return false;
  }
  std::string warning;
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    if (state_ == State::Stopping || state_ == State::Stopped) {
      return false;
    }
    if (queue_.size() >= queue_capacity_) {
      ++dropped_overflow_;
      ++dropped_since_warning_;
      int64_t now = monotonicMs();
      if (last_overflow_warning_ms_ == 0 || now - last_overflow_warning_ms_ >= kOverflowWarningIntervalMs) {
        warning = "event queue full (capacity " + std::to_string(queue_capacity_) + "): dropped " +
                  std::to_string(dropped_since_warning_) +
                  " event(s) since the last warning, latest of type '" + event.type + "'";
        dropped_since_warning_ = 0;
        last_overflow_warning_ms_ = now;
      }
    } else {
      if (event.id.empty()) {
        event.id = newEventId();
      }
      if (event.timestamp_ms == 0) {
        event.timestamp_ms = nowUtcMs();
      }
      queue_.push_back(std::move(event));
      ++published_;
      queue_cv_.notify_one();
      return true;
    }
  }
  if (!warning.empty()) {
    logger_.warn(kComponent, warning);
  }
  return false;
}

void EventBus::dispatchLoop() {
  while (true) {
    Event event;
    {
      std::unique_lock<std::mutex> lock(queue_mutex_);
      queue_cv_.wait(lock, [this] { return !queue_.empty() || state_ != State::Running; });
      if (queue_.empty()) {
        return; // stopping, and everything queued has been delivered
      }
      event = std::move(queue_.front());
      queue_.pop_front();
      ++in_flight_;
    }
    try {
      deliver(event);
    } catch (const std::exception& e) {
      // Only bookkeeping can get here (handlers are caught in deliver); keep the thread alive.
      logger_.error(kComponent, std::string("dispatch failed: ") + e.what());
    }
    std::lock_guard<std::mutex> lock(queue_mutex_);
    --in_flight_;
    if (queue_.empty() && in_flight_ == 0) {
      idle_cv_.notify_all();
    }
  }
}

std::vector<EventBus::SubscriptionPtr> EventBus::matching(const std::string& type) {
  std::vector<SubscriptionPtr> out;
  std::lock_guard<std::mutex> lock(subs_mutex_);
  auto exact = by_topic_.find(type);
  auto any = by_topic_.find(kWildcard);
  if (exact == by_topic_.end() && any == by_topic_.end()) {
    return out;
  }
  if (any == by_topic_.end()) {
    return exact->second;
  }
  if (exact == by_topic_.end()) {
    return any->second;
  }
  // Both lists are in id order; merging keeps "handlers run in subscription order".
  out.reserve(exact->second.size() + any->second.size());
  std::merge(exact->second.begin(), exact->second.end(), any->second.begin(), any->second.end(),
             std::back_inserter(out),
             [](const SubscriptionPtr& x, const SubscriptionPtr& y) { return x->id < y->id; });
  return out;
}

void EventBus::deliver(const Event& event) {
  const auto self = std::this_thread::get_id();
  for (const SubscriptionPtr& sub : matching(event.type)) {
    {
      std::lock_guard<std::mutex> lock(subs_mutex_);
      if (!sub->active) {
        continue; // unsubscribed after the snapshot was taken
      }
      sub->running_on.push_back(self);
    }
    std::string failure;
    try {
      sub->handler(event);
    } catch (const std::exception& e) {
      failure = e.what();
      if (failure.empty()) {
        failure = "exception without a message";
      }
    } catch (...) {
      failure = "non-standard exception";
    }
    Handler released;
    {
      std::lock_guard<std::mutex> lock(subs_mutex_);
      sub->running_on.erase(std::find(sub->running_on.begin(), sub->running_on.end(), self));
      if (failure.empty()) {
        ++delivered_;
      } else {
        ++handler_errors_;
      }
      if (!sub->active && sub->running_on.empty() && sub->handler) {
        // It unsubscribed itself during this call: release it now that the call is over.
        released = std::move(sub->handler);
        sub->handler = nullptr;
      }
    }
    subs_cv_.notify_all();
    if (!failure.empty()) {
      // The topic, never the payload: payloads may carry printer or user data.
      logger_.error(kComponent, "handler for '" + event.type + "' (subscription " + std::to_string(sub->id) +
                                    ") threw: " + failure.substr(0, 300));
    }
  }
}

BusStats EventBus::stats() const {
  BusStats stats;
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    stats.published = published_;
    stats.dropped_overflow = dropped_overflow_;
    stats.queue_depth = queue_.size();
  }
  std::lock_guard<std::mutex> lock(subs_mutex_);
  stats.delivered = delivered_;
  stats.handler_errors = handler_errors_;
  return stats;
}

bool EventBus::waitIdle(int64_t timeout_ms) {
  std::unique_lock<std::mutex> lock(queue_mutex_);
  return idle_cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(timeout_ms, 0)),
                           [this] { return queue_.empty() && in_flight_ == 0; });
}

} // namespace bambuddy::bus

namespace bambuddy::bus {

bool EventBus::hasSubscribers(const std::string& topic) const {
  std::lock_guard<std::mutex> lock(subs_mutex_);
  auto has = [&](const std::string& t) {
    auto it = by_topic_.find(t);
    return it != by_topic_.end() && !it->second.empty();
  };
  return has(topic) || has("*");
}

} // namespace bambuddy::bus
