// The event stream's memory of recent events, for clients that reconnect with Last-Event-ID: the
// last `capacity` events, none older than `max_age_ms`. In memory only; a restart forgets it (a
// client resuming then is told to reset).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace bambuddy::stream {

struct RingEvent {
  std::string event_id;
  std::string type;
  int64_t printer_id = 0;
  int64_t added_ms = 0;                     // monotonic
  std::shared_ptr<const std::string> frame; // the SSE frame, as every client gets it
};

// Not thread-safe: the hub guards it.
class EventRing {
public:
  EventRing(size_t capacity, int64_t max_age_ms);

  // Appends (dropping the oldest past capacity). An id already held is ignored: false.
  bool push(RingEvent event);
  // Drops events older than max_age_ms.
  void expire(int64_t now_ms);
  // The events after the one with `event_id`, oldest first; nullopt when that id is not held
  // (unknown, or already dropped).
  std::optional<std::vector<const RingEvent*>> after(const std::string& event_id) const;

  size_t size() const { return events_.size(); }

private:
  void dropOldest();

  const size_t capacity_;
  const int64_t max_age_ms_;
  std::deque<RingEvent> events_;
  uint64_t first_number_ = 0; // number of events_.front()
  std::unordered_map<std::string, uint64_t> numbers_;
};

} // namespace bambuddy::stream
