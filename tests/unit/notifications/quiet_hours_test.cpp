// Quiet hours: windows in local time, across midnight, and the precise errors of bad input.
#include "notifications/notification_error.h"
#include "notifications/quiet_hours.h"
#include "notifications/time_zone.h"

#include <gtest/gtest.h>

namespace bambuddy::notifications {
namespace quiet_hours_test {

using nlohmann::json;

int64_t utcMs(int hour, int minute) {
  // 2024-01-15 (winter: Berlin is UTC+1) at hour:minute UTC.
  return (int64_t{1705276800} + hour * 3600 + minute * 60) * 1000;
}

TEST(QuietHours, WindowAcrossMidnight) {
  // 22:00-07:00: 21:59 out, 22:00 in, 03:00 in, 06:59 in, 07:00 out.
  EXPECT_FALSE(minuteInWindow(21 * 60 + 59, 22 * 60, 7 * 60));
  EXPECT_TRUE(minuteInWindow(22 * 60, 22 * 60, 7 * 60));
  EXPECT_TRUE(minuteInWindow(23 * 60 + 59, 22 * 60, 7 * 60));
  EXPECT_TRUE(minuteInWindow(0, 22 * 60, 7 * 60));
  EXPECT_TRUE(minuteInWindow(3 * 60, 22 * 60, 7 * 60));
  EXPECT_TRUE(minuteInWindow(6 * 60 + 59, 22 * 60, 7 * 60));
  EXPECT_FALSE(minuteInWindow(7 * 60, 22 * 60, 7 * 60));
  EXPECT_FALSE(minuteInWindow(12 * 60, 22 * 60, 7 * 60));
}

TEST(QuietHours, WindowInsideOneDay) {
  EXPECT_FALSE(minuteInWindow(12 * 60 + 59, 13 * 60, 14 * 60));
  EXPECT_TRUE(minuteInWindow(13 * 60, 13 * 60, 14 * 60));
  EXPECT_FALSE(minuteInWindow(14 * 60, 13 * 60, 14 * 60));
}

TEST(QuietHours, LocalTimeOfTheZoneDecides) {
  QuietHours q = parseQuietHours(json{{"start", "22:00"}, {"end", "07:00"}, {"timezone", "Europe/Berlin"}});
  std::string error;
  auto berlin = TimeZone::load(q.timezone, error);
  ASSERT_NE(berlin, nullptr) << error;
  EXPECT_FALSE(inQuietHours(q, *berlin, utcMs(20, 59))); // 21:59 in Berlin
  EXPECT_TRUE(inQuietHours(q, *berlin, utcMs(21, 0)));   // 22:00 in Berlin
  EXPECT_TRUE(inQuietHours(q, *berlin, utcMs(5, 59)));   // 06:59 in Berlin
  EXPECT_FALSE(inQuietHours(q, *berlin, utcMs(6, 0)));   // 07:00 in Berlin
  // The same window in UTC is an hour later.
  EXPECT_FALSE(inQuietHours(q, *TimeZone::utc(), utcMs(21, 0)));
  EXPECT_TRUE(inQuietHours(q, *TimeZone::utc(), utcMs(22, 0)));
}

TEST(QuietHours, ParsesAndRoundTrips) {
  QuietHours q = parseQuietHours(json{{"start", "23:30"}, {"end", "06:15"}});
  EXPECT_EQ(q.start_minute, 23 * 60 + 30);
  EXPECT_EQ(q.end_minute, 6 * 60 + 15);
  EXPECT_EQ(q.timezone, "UTC");
  EXPECT_EQ(q.toJson(), (json{{"start", "23:30"}, {"end", "06:15"}, {"timezone", "UTC"}}));
}

TEST(QuietHours, BadInputNamesTheField) {
  struct Case {
    json input;
    std::string message;
  };
  for (const Case& c : {
           Case{json("22-07"), "quiet_hours: must be an object"},
           Case{json{{"end", "07:00"}}, "quiet_hours.start: required (a time HH:MM)"},
           Case{json{{"start", "22:00"}}, "quiet_hours.end: required (a time HH:MM)"},
           Case{json{{"start", "24:00"}, {"end", "07:00"}},
                "quiet_hours.start: must be a time HH:MM from 00:00 to 23:59"},
           Case{json{{"start", "22:60"}, {"end", "07:00"}}, "quiet_hours.start: must be a time HH:MM"},
           Case{json{{"start", "7:00"}, {"end", "07:00"}}, "quiet_hours.start: must be a time HH:MM"},
           Case{json{{"start", 22}, {"end", "07:00"}}, "quiet_hours.start: must be a time HH:MM"},
           Case{json{{"start", "22:00"}, {"end", "22:00"}}, "quiet_hours: start and end must differ"},
           Case{json{{"start", "22:00"}, {"end", "07:00"}, {"tz", "UTC"}}, "quiet_hours.tz: unknown field"},
           Case{json{{"start", "22:00"}, {"end", "07:00"}, {"timezone", 1}},
                "quiet_hours.timezone: must be an IANA"},
       }) {
    try {
      parseQuietHours(c.input);
      ADD_FAILURE() << "accepted " << c.input.dump();
    } catch (const NotificationError& e) {
      EXPECT_EQ(e.httpStatus(), 400);
      EXPECT_EQ(std::string(e.what()).rfind(c.message, 0), 0u) << e.what();
    }
  }
}

} // namespace quiet_hours_test
} // namespace bambuddy::notifications
