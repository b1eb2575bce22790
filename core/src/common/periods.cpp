#include "common/periods.h"

#include <date/date.h>

namespace bambuddy {

namespace {

date::sys_days toSysDays(int64_t day) {
  return date::sys_days{date::days{day}};
}

int64_t toDay(date::sys_days days) {
  return days.time_since_epoch().count();
}

} // namespace

int64_t periodStart(Period period, int64_t day) {
  switch (period) {
  case Period::Day:
    return day;
  case Period::Week: {
    // Day 0 (1970-01-01) was a Thursday: Monday is 3 days before it.
    const int64_t since_monday = ((day + 3) % 7 + 7) % 7;
    return day - since_monday;
  }
  case Period::Month: {
    const date::year_month_day ymd{toSysDays(day)};
    return toDay(date::sys_days{ymd.year() / ymd.month() / date::day{1}});
  }
  case Period::Year: {
    const date::year_month_day ymd{toSysDays(day)};
    return toDay(date::sys_days{ymd.year() / date::January / date::day{1}});
  }
  }
  return day;
}

int64_t nextPeriodStart(Period period, int64_t day) {
  const int64_t start = periodStart(period, day);
  switch (period) {
  case Period::Day:
    return start + 1;
  case Period::Week:
    return start + 7;
  case Period::Month: {
    const date::year_month_day ymd{toSysDays(start)};
    return toDay(date::sys_days{(ymd.year() / ymd.month() + date::months{1}) / date::day{1}});
  }
  case Period::Year: {
    const date::year_month_day ymd{toSysDays(start)};
    return toDay(date::sys_days{(ymd.year() + date::years{1}) / date::January / date::day{1}});
  }
  }
  return start + 1;
}

const char* periodName(Period period) {
  switch (period) {
  case Period::Day:
    return "day";
  case Period::Week:
    return "week";
  case Period::Month:
    return "month";
  case Period::Year:
    return "year";
  }
  return "day";
}

std::string isoDate(int64_t day) {
  return date::format("%F", toSysDays(day));
}

} // namespace bambuddy
