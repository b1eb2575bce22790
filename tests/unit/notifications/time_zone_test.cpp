// Time zones from the system's tzdata through cctz: transition tables, the POSIX rules that cover
// the years after the last transition, and the names that are refused before a file is opened.
#include "notifications/time_zone.h"

#include <gtest/gtest.h>

namespace bambuddy::notifications {
namespace time_zone_test {

// 2024-01-15T12:00:00Z and 2024-07-15T12:00:00Z.
constexpr int64_t kWinter2024 = 1705320000;
constexpr int64_t kSummer2024 = 1721044800;

std::shared_ptr<const TimeZone> load(const std::string& name) {
  std::string error;
  auto zone = TimeZone::load(name, error);
  EXPECT_NE(zone, nullptr) << error;
  return zone;
}

TEST(TimeZone, BerlinWinterAndSummer) {
  auto berlin = load("Europe/Berlin");
  ASSERT_NE(berlin, nullptr);
  EXPECT_EQ(berlin->offsetAt(kWinter2024), 3600);
  EXPECT_EQ(berlin->offsetAt(kSummer2024), 7200);
}

TEST(TimeZone, DaylightSavingSwitchesAtTheExactSecond) {
  auto berlin = load("Europe/Berlin");
  ASSERT_NE(berlin, nullptr);
  // 2024-03-31T01:00:00Z the clocks go from 02:00 CET to 03:00 CEST.
  constexpr int64_t kSwitch = 1711846800;
  EXPECT_EQ(berlin->offsetAt(kSwitch - 1), 3600);
  EXPECT_EQ(berlin->offsetAt(kSwitch), 7200);
}

TEST(TimeZone, SouthernHemisphereAndWestOfGreenwich) {
  auto sydney = load("Australia/Sydney");
  auto new_york = load("America/New_York");
  ASSERT_NE(sydney, nullptr);
  ASSERT_NE(new_york, nullptr);
  EXPECT_EQ(sydney->offsetAt(kWinter2024), 11 * 3600); // AEDT in January
  EXPECT_EQ(sydney->offsetAt(kSummer2024), 10 * 3600); // AEST in July
  EXPECT_EQ(new_york->offsetAt(kWinter2024), -5 * 3600);
  EXPECT_EQ(new_york->offsetAt(kSummer2024), -4 * 3600);
}

TEST(TimeZone, YearsAfterTheTransitionTableUseTheFooterRule) {
  auto berlin = load("Europe/Berlin");
  auto sydney = load("Australia/Sydney");
  ASSERT_NE(berlin, nullptr);
  ASSERT_NE(sydney, nullptr);
  // 2100-01-15T12:00:00Z and 2100-07-15T12:00:00Z.
  constexpr int64_t kWinter2100 = 4103697600;
  constexpr int64_t kSummer2100 = 4119336000;
  EXPECT_EQ(berlin->offsetAt(kWinter2100), 3600);
  EXPECT_EQ(berlin->offsetAt(kSummer2100), 7200);
  EXPECT_EQ(sydney->offsetAt(kWinter2100), 11 * 3600);
  EXPECT_EQ(sydney->offsetAt(kSummer2100), 10 * 3600);
}

TEST(TimeZone, FixedOffsetZonesAndUtc) {
  auto kolkata = load("Asia/Kolkata");
  ASSERT_NE(kolkata, nullptr);
  EXPECT_EQ(kolkata->offsetAt(kSummer2024), 5 * 3600 + 1800);
  std::string error;
  auto utc = TimeZone::load("UTC", error);
  ASSERT_NE(utc, nullptr);
  EXPECT_EQ(utc->offsetAt(kSummer2024), 0);
}

TEST(TimeZone, BadNamesAreRefusedWithAReason) {
  for (const std::string name : {"Mars/Olympus_Mons", "../../etc/passwd", "Europe/../etc/passwd",
                                 "/etc/passwd", "Europe//Berlin", "", "Europe", "Europe/Berlin\n"}) {
    std::string error;
    EXPECT_EQ(TimeZone::load(name, error), nullptr) << name;
    EXPECT_FALSE(error.empty()) << name;
  }
}

TEST(TimeZone, FilesThatAreNotZonesAreRefused) {
  // In /usr/share/zoneinfo with a valid name, but a text table, and a directory.
  for (const std::string name : {"leapseconds", "Europe"}) {
    std::string error;
    EXPECT_EQ(TimeZone::load(name, error), nullptr) << name;
    EXPECT_EQ(error, "unknown time zone '" + name + "' (expected an IANA name such as Europe/Berlin)");
  }
}

TEST(TimeZone, ErrorsNameTheZoneAndTheExpectedForm) {
  std::string error;
  EXPECT_EQ(TimeZone::load("Mars/Base", error), nullptr);
  EXPECT_EQ(error, "unknown time zone 'Mars/Base' (expected an IANA name such as Europe/Berlin)");
  EXPECT_EQ(TimeZone::load("../../etc/passwd", error), nullptr);
  EXPECT_EQ(error, "'../../etc/passwd' is not an IANA time zone name (e.g. Europe/Berlin)");
  EXPECT_EQ(TimeZone::load("Europe/Berlin", error, "/nonexistent"), nullptr);
  EXPECT_EQ(error, "unknown time zone 'Europe/Berlin' (expected an IANA name such as Europe/Berlin)");
}

TEST(TimeZone, NameIsTheOneAskedFor) {
  EXPECT_EQ(load("Europe/Berlin")->name(), "Europe/Berlin");
  EXPECT_EQ(load("Etc/UTC")->name(), "UTC");
}

} // namespace time_zone_test
} // namespace bambuddy::notifications
