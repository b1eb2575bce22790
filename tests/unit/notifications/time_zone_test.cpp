// Time zones from the system's TZif files (transition tables) and the POSIX rules that cover the
// years after the last transition.
#include "notifications/time_zone.h"

#include <gtest/gtest.h>

namespace bambuddy::notifications {
namespace {

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

TEST(TimeZone, GarbageBytesAreNotAZone) {
  EXPECT_EQ(TimeZone::fromTzif("x", ""), nullptr);
  EXPECT_EQ(TimeZone::fromTzif("x", "TZif2 but far too short"), nullptr);
  EXPECT_EQ(TimeZone::fromTzif("x", std::string(200, '\0')), nullptr);
}

TEST(PosixTzRule, ParsesTheCommonForms) {
  auto cet = PosixTzRule::parse("CET-1CEST,M3.5.0,M10.5.0/3");
  ASSERT_TRUE(cet.has_value());
  EXPECT_EQ(cet->offsetAt(kWinter2024), 3600);
  EXPECT_EQ(cet->offsetAt(kSummer2024), 7200);
  auto est = PosixTzRule::parse("EST5EDT,M3.2.0,M11.1.0");
  ASSERT_TRUE(est.has_value());
  EXPECT_EQ(est->offsetAt(kWinter2024), -5 * 3600);
  EXPECT_EQ(est->offsetAt(kSummer2024), -4 * 3600);
  auto numeric = PosixTzRule::parse("<+0530>-5:30");
  ASSERT_TRUE(numeric.has_value());
  EXPECT_EQ(numeric->offsetAt(kSummer2024), 5 * 3600 + 1800);
  auto julian = PosixTzRule::parse("XST-2XDT,J60/2,J300/2");
  ASSERT_TRUE(julian.has_value());
  EXPECT_EQ(julian->offsetAt(kWinter2024), 7200);
  EXPECT_EQ(julian->offsetAt(kSummer2024), 3 * 3600);
  for (const char* bad : {"", "C-1", "CET", "CET-1CEST,M13.1.0,M10.5.0", "CET-1CEST,M3.5.0",
                          "CET-1CEST,M3.5.7,M10.5.0", "CET-1CEST,M3.5.0,M10.5.0/3junk"}) {
    EXPECT_FALSE(PosixTzRule::parse(bad).has_value()) << bad;
  }
}

} // namespace
} // namespace bambuddy::notifications
