#include "stream/event_ring.h"

#include <stdexcept>

namespace bambuddy::stream {

EventRing::EventRing(size_t capacity, int64_t max_age_ms) : capacity_(capacity), max_age_ms_(max_age_ms) {
  if (capacity < 1) {
    throw std::invalid_argument("the event ring needs room for at least one event");
  }
}

bool EventRing::push(RingEvent event) {
  if (numbers_.count(event.event_id) > 0) {
    return false;
  }
  if (events_.size() >= capacity_) {
    dropOldest();
  }
  numbers_[event.event_id] = first_number_ + events_.size();
  events_.push_back(std::move(event));
  return true;
}

void EventRing::dropOldest() {
  numbers_.erase(events_.front().event_id);
  events_.pop_front();
  ++first_number_;
}

void EventRing::expire(int64_t now_ms) {
  while (!events_.empty() && now_ms - events_.front().added_ms > max_age_ms_) {
    dropOldest();
  }
}

std::optional<std::vector<const RingEvent*>> EventRing::after(const std::string& event_id) const {
  auto it = numbers_.find(event_id);
  if (it == numbers_.end()) {
    return std::nullopt;
  }
  std::vector<const RingEvent*> out;
  for (size_t i = static_cast<size_t>(it->second - first_number_) + 1; i < events_.size(); ++i) {
    out.push_back(&events_[i]);
  }
  return out;
}

} // namespace bambuddy::stream
