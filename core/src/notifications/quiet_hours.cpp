#include "notifications/quiet_hours.h"

#include "notifications/notification_error.h"
#include "notifications/time_zone.h"

#include <cstdio>

namespace bambuddy::notifications {

namespace {

NotificationError invalid(const std::string& message) {
  return NotificationError(NotificationError::Kind::Invalid, "invalid_quiet_hours", message);
}

int parseClock(const nlohmann::json& object, const char* key, const std::string& path) {
  const std::string where = path + "." + key;
  auto it = object.find(key);
  if (it == object.end()) {
    throw invalid(where + ": required (a time HH:MM)");
  }
  const std::string expected = ": must be a time HH:MM from 00:00 to 23:59";
  if (!it->is_string()) {
    throw invalid(where + expected);
  }
  const std::string text = it->get<std::string>();
  auto digit = [&](size_t i) { return text[i] >= '0' && text[i] <= '9'; };
  if (text.size() != 5 || text[2] != ':' || !digit(0) || !digit(1) || !digit(3) || !digit(4)) {
    throw invalid(where + expected);
  }
  int hours = (text[0] - '0') * 10 + (text[1] - '0');
  int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (hours > 23 || minutes > 59) {
    throw invalid(where + expected);
  }
  return hours * 60 + minutes;
}

std::string clockText(int minute) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d", (minute / 60) % 24, minute % 60);
  return buf;
}

} // namespace

nlohmann::json QuietHours::toJson() const {
  return {{"start", clockText(start_minute)}, {"end", clockText(end_minute)}, {"timezone", timezone}};
}

QuietHours parseQuietHours(const nlohmann::json& value, const std::string& path) {
  if (!value.is_object()) {
    throw invalid(path + ": must be an object {\"start\": \"22:00\", \"end\": \"07:00\", \"timezone\": "
                         "\"Europe/Berlin\"} or null");
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (it.key() != "start" && it.key() != "end" && it.key() != "timezone") {
      throw invalid(path + "." + it.key() + ": unknown field (expected start, end, timezone)");
    }
  }
  QuietHours out;
  out.start_minute = parseClock(value, "start", path);
  out.end_minute = parseClock(value, "end", path);
  if (out.start_minute == out.end_minute) {
    throw invalid(path + ": start and end must differ");
  }
  auto tz = value.find("timezone");
  if (tz != value.end() && !tz->is_null()) {
    if (!tz->is_string() || tz->get<std::string>().empty()) {
      throw invalid(path + ".timezone: must be an IANA time zone name such as Europe/Berlin");
    }
    out.timezone = tz->get<std::string>();
  }
  return out;
}

bool minuteInWindow(int minute, int start_minute, int end_minute) {
  if (start_minute < end_minute) {
    return minute >= start_minute && minute < end_minute;
  }
  return minute >= start_minute || minute < end_minute; // crosses midnight
}

bool inQuietHours(const QuietHours& quiet, const TimeZone& zone, int64_t utc_ms) {
  int64_t utc_s = utc_ms / 1000 - (utc_ms < 0 && utc_ms % 1000 != 0 ? 1 : 0);
  int64_t local_s = utc_s + zone.offsetAt(utc_s);
  int64_t second_of_day = ((local_s % 86400) + 86400) % 86400;
  return minuteInWindow(static_cast<int>(second_of_day / 60), quiet.start_minute, quiet.end_minute);
}

} // namespace bambuddy::notifications
