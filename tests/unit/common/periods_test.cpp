// Calendar periods over UTC day numbers: the keys of the archive roll-ups and statistics series.
#include "common/periods.h"

#include <gtest/gtest.h>

namespace bambuddy {
namespace periods_test {

constexpr int64_t kJan1st2024 = 19723; // a Monday, in a leap year

TEST(Periods, WeeksStartOnMonday) {
  EXPECT_EQ(isoDate(0), "1970-01-01"); // a Thursday
  EXPECT_EQ(isoDate(periodStart(Period::Week, 0)), "1969-12-29");
  EXPECT_EQ(periodStart(Period::Week, kJan1st2024), kJan1st2024);
  EXPECT_EQ(periodStart(Period::Week, kJan1st2024 + 6), kJan1st2024);
  EXPECT_EQ(periodStart(Period::Week, kJan1st2024 + 7), kJan1st2024 + 7);
  EXPECT_EQ(periodStart(Period::Week, kJan1st2024 - 1), kJan1st2024 - 7);
  EXPECT_EQ(nextPeriodStart(Period::Week, kJan1st2024 + 3), kJan1st2024 + 7);
  EXPECT_EQ(periodStart(Period::Week, -1), -3); // before 1970 too: Wednesday 1969-12-31
}

TEST(Periods, MonthsAndYearsFollowTheCalendar) {
  EXPECT_EQ(isoDate(periodStart(Period::Month, kJan1st2024 + 59)), "2024-02-01"); // Feb 29th
  EXPECT_EQ(isoDate(kJan1st2024 + 59), "2024-02-29");
  EXPECT_EQ(isoDate(nextPeriodStart(Period::Month, kJan1st2024 + 59)), "2024-03-01");
  EXPECT_EQ(isoDate(nextPeriodStart(Period::Month, kJan1st2024 + 340)), "2025-01-01"); // December
  EXPECT_EQ(periodStart(Period::Year, kJan1st2024 + 365), kJan1st2024); // Dec 31st of a leap year
  EXPECT_EQ(isoDate(nextPeriodStart(Period::Year, kJan1st2024)), "2025-01-01");
  EXPECT_EQ(nextPeriodStart(Period::Year, kJan1st2024) - kJan1st2024, 366);
  EXPECT_EQ(isoDate(periodStart(Period::Year, -1)), "1969-01-01");
  EXPECT_EQ(periodStart(Period::Day, 12345), 12345);
  EXPECT_EQ(nextPeriodStart(Period::Day, 12345), 12346);
}

TEST(Periods, EveryDayLiesInItsPeriod) {
  for (int64_t day = kJan1st2024 - 800; day < kJan1st2024 + 800; ++day) {
    for (Period p : {Period::Day, Period::Week, Period::Month, Period::Year}) {
      const int64_t start = periodStart(p, day);
      const int64_t next = nextPeriodStart(p, day);
      ASSERT_LE(start, day) << periodName(p);
      ASSERT_GT(next, day) << periodName(p);
      ASSERT_EQ(periodStart(p, next), next) << periodName(p);
      ASSERT_EQ(periodStart(p, next - 1), start) << periodName(p);
    }
  }
  EXPECT_STREQ(periodName(Period::Month), "month");
}

} // namespace periods_test
} // namespace bambuddy
