// The events notification providers can receive: each with a description for people choosing what
// to subscribe to and a realistic sample of its `data` (the fields the printer registry, queue and
// test endpoint publish), served by GET /api/v1/notifications/events.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace bambuddy::notifications {

struct EventInfo {
  std::string name;        // the bus topic and the notification's "event"
  std::string description; // when it fires
  nlohmann::json sample;   // a sample `data` object
};

// Every event in a stable order (print events, printer events, queue events, test).
const std::vector<EventInfo>& eventCatalog();

bool isCatalogEvent(const std::string& name);

// The event names joined with ", " (for error messages).
std::string catalogNames();

// The notification body every provider receives:
// {"id": event_id, "event": type, "timestamp": "YYYY-MM-DDTHH:MM:SSZ" (UTC), "data": data}.
nlohmann::json makeNotification(const std::string& event_id, const std::string& type, int64_t timestamp_ms,
                                nlohmann::json data);

} // namespace bambuddy::notifications
