// The notification a notifier's send() receives, parsed once, and the values its templates see.
//
//   {"id":"evt_...","event":"print_complete","timestamp":"2024-01-15T14:30:00Z","data":{...}}
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace bambuddy::common::text {

struct Notification {
  std::string id;        // non-empty
  std::string event;     // non-empty
  std::string timestamp; // as given ("" when absent)
  nlohmann::json data = nlohmann::json::object();

  // A template value: "id", "event", "timestamp", "duration_text" (data.duration seconds as
  // "2h 15m", "45m" or "30s", or data.duration itself when it is text), or a data field, where
  // "a.b" reaches into nested objects. Strings as they are, numbers and booleans as JSON writes
  // them, arrays and objects as compact JSON, null and missing as nullopt.
  std::optional<std::string> field(const std::string& name) const;
};

// Throws std::invalid_argument naming the problem, e.g. "notification has no string \"event\"".
Notification parseNotification(const std::string& json);

// 8100 -> "2h 15m", 2700 -> "45m", 30 -> "30s", 90000 -> "25h 0m".
std::string durationText(int64_t seconds);

} // namespace bambuddy::common::text
