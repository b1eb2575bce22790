// Quiet hours of a provider: a daily window in local time during which its notifications are
// written to the delivery log as "suppressed" instead of being sent. The window may cross
// midnight ("22:00" to "07:00").
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace bambuddy::notifications {

class TimeZone;

struct QuietHours {
  int start_minute = 0; // minutes after local midnight, 0..1439
  int end_minute = 0;   // exclusive; != start_minute
  std::string timezone = "UTC";

  nlohmann::json toJson() const; // {"start":"22:00","end":"07:00","timezone":"Europe/Berlin"}
};

// Parses {"start": "HH:MM", "end": "HH:MM", "timezone": optional IANA name}. Throws
// NotificationError (Invalid) whose message names the field under `path`, e.g.
// "quiet_hours.start: must be a time HH:MM from 00:00 to 23:59". Does not check that the
// timezone exists (the caller loads it).
QuietHours parseQuietHours(const nlohmann::json& value, const std::string& path = "quiet_hours");

// True when `minute` (0..1439) falls in [start, end), wrapping past midnight when end < start.
bool minuteInWindow(int minute, int start_minute, int end_minute);

// True when `utc_ms` is inside the window in `zone`'s local time.
bool inQuietHours(const QuietHours& quiet, const TimeZone& zone, int64_t utc_ms);

} // namespace bambuddy::notifications
