// In-process publish/subscribe for core services and plugins.
//
// Publishing never waits for subscribers: events go into a bounded queue and the bus's own
// dispatch thread(s) call the handlers. A full queue drops the new event (counted, and logged at
// most once a second) instead of blocking the publisher, so a slow or stuck subscriber can never
// stall a printer connection or an HTTP request.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bus/topics.h"

namespace bambuddy {
class Logger;
}

namespace bambuddy::bus {

struct Event {
  std::string id;           // "evt_" + 24 hex digits (96 random bits); filled in by publish when empty
  std::string type;         // topic, e.g. "print_started"
  int64_t timestamp_ms = 0; // UTC epoch ms; filled in by publish when 0
  std::string payload_json;
  uint32_t payload_version = 1;
};

using SubscriptionId = uint64_t;
using Handler = std::function<void(const Event&)>;

struct BusStats {
  uint64_t published = 0;        // accepted into the queue
  uint64_t delivered = 0;        // handler calls that returned normally
  uint64_t dropped_overflow = 0; // refused because the queue was full
  uint64_t handler_errors = 0;   // handler calls that threw
  std::size_t queue_depth = 0;   // waiting right now
};

class EventBus {
public:
  // queue_capacity >= 1 and dispatch_threads >= 1, else std::invalid_argument. With one
  // dispatch thread every handler sees events in publish order; with more, order is not kept.
  EventBus(Logger& logger, std::size_t queue_capacity, int dispatch_threads = 1);
  ~EventBus(); // calls stop()
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  // Starts the dispatch threads. Events published before start() wait in the queue.
  // Calling it while running does nothing; after stop() it starts the bus again.
  void start();

  // Shutdown is bounded: from the moment stop() is called, publish() refuses new events
  // (including ones published by handlers), the events already queued are delivered, then
  // the dispatch threads are joined. Idempotent. Must not be called from a handler (that would
  // join its own thread): there it only logs an error and returns.
  void stop();

  // `topic` is an exact event type, or "*" for every event. `owner` is an opaque tag (e.g. a
  // plugin instance) so unsubscribeOwner() can drop all of an owner's subscriptions at once.
  // Handlers of one event run in subscription order. Throws std::invalid_argument for an empty
  // topic or an empty handler.
  SubscriptionId subscribe(const std::string& topic, Handler handler, const void* owner = nullptr);

  // After it returns, the handler is not running on any dispatch thread and will never be called
  // again, and the bus has released its copy of the handler (so code and data it captured may be
  // unloaded). Called from inside that handler, it does not wait for the current call; the handler
  // is then released when that call returns. Returns false for an unknown id.
  // Caveat: two handlers running at once on different dispatch threads that unsubscribe each
  // other would wait for each other forever; with one dispatch thread this cannot happen.
  bool unsubscribe(SubscriptionId id);

  // unsubscribe() for every subscription of `owner`, with the same guarantee. Returns how many.
  std::size_t unsubscribeOwner(const void* owner);

  // Enqueues and returns without waiting for any subscriber. Returns false when the event is
  // refused: queue full (counted in dropped_overflow, warning rate-limited to one per second with
  // the number dropped), bus stopping, or an empty or "*" type.
  bool publish(std::string type, std::string payload_json, uint32_t payload_version = 1);
  bool publish(Event event); // fills id and timestamp_ms when empty / 0
  // A core topic from topics.h, with its declared payload version.
  bool publish(const Topic& topic, std::string payload_json) {
    return publish(topic.name, std::move(payload_json), topic.payload_version);
  }

  BusStats stats() const;

  // True when someone subscribed to `topic` itself or to "*" (publishers may skip building a
  // payload nobody reads).
  bool hasSubscribers(const std::string& topic) const;

  // For tests and orderly shutdown: true once the queue is empty and no handler is running,
  // false if that has not happened within timeout_ms.
  bool waitIdle(int64_t timeout_ms);

private:
  struct Subscription;
  using SubscriptionPtr = std::shared_ptr<Subscription>;

  void dispatchLoop();
  void deliver(const Event& event);
  std::vector<SubscriptionPtr> matching(const std::string& type);
  // Waits (holding `lock` on subs_mutex_) until `sub` runs on no thread but the caller's, then
  // releases its handler when nothing runs it.
  void retire(const SubscriptionPtr& sub, std::unique_lock<std::mutex>& lock, std::vector<Handler>& released);
  std::string newEventId(); // queue_mutex_ held
  bool onDispatchThread() const;

  Logger& logger_;
  const std::size_t queue_capacity_;
  const int dispatch_thread_count_;

  // Queue side: publishers and dispatchers.
  mutable std::mutex queue_mutex_;
  std::condition_variable queue_cv_; // dispatchers: an event arrived, or stop
  std::condition_variable idle_cv_;  // waitIdle: the queue drained and handlers finished
  std::deque<Event> queue_;
  std::size_t in_flight_ = 0; // events taken off the queue whose handlers are still running
  enum class State { Idle, Running, Stopping, Stopped };
  State state_ = State::Idle;
  std::vector<std::thread> threads_;
  std::vector<std::thread::id> dispatch_ids_;
  std::mt19937_64 id_random_;
  uint64_t published_ = 0;
  uint64_t dropped_overflow_ = 0;
  uint64_t dropped_since_warning_ = 0;
  int64_t last_overflow_warning_ms_ = 0;

  // Subscription side: (un)subscribe and the per-call bookkeeping of dispatchers.
  mutable std::mutex subs_mutex_;
  std::condition_variable subs_cv_; // a handler call finished
  SubscriptionId next_id_ = 1;
  std::map<SubscriptionId, SubscriptionPtr> by_id_;
  std::unordered_map<std::string, std::vector<SubscriptionPtr>> by_topic_; // each list in id order
  uint64_t delivered_ = 0;
  uint64_t handler_errors_ = 0;
};

} // namespace bambuddy::bus
