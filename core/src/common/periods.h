// Calendar periods over UTC day numbers (days since 1970-01-01): the week (Monday first, as ISO
// 8601), month and year a day falls in, each named by the day number of its first day. The archive
// totals (archives/day_counts.h) key their roll-ups and the statistics their series by these.
#pragma once

#include <cstdint>
#include <string>

namespace bambuddy {

// The values are stored (archive_period_counts.kind): never renumber.
enum class Period { Day = 0, Week = 1, Month = 2, Year = 3 };

// The first day of the period of `period` that contains `day`.
int64_t periodStart(Period period, int64_t day);
// The first day of the next period after the one starting at or containing `day`.
int64_t nextPeriodStart(Period period, int64_t day);

// "day", "week", "month", "year" (the names the API serves).
const char* periodName(Period period);

// "2026-12-07" for a day number.
std::string isoDate(int64_t day);

} // namespace bambuddy
