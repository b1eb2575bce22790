#include "text/http_date.h"

#include <cstdio>
#include <cstring>

namespace bambuddy::common::text {
namespace {

constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr const char* kWeekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

int monthIndex(const char* name) {
  for (int i = 0; i < 12; ++i) {
    if (std::strcmp(name, kMonths[i]) == 0) {
      return i + 1;
    }
  }
  return 0;
}

std::optional<int64_t> toUnixMs(int year, int month, int day, int hour, int minute, int second) {
  if (month < 1 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 ||
      second > 60 || year < 1900) {
    return std::nullopt;
  }
  int64_t days = daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return (days * 86400 + hour * 3600 + minute * 60 + second) * 1000;
}

} // namespace

std::string formatRfc5322Date(int64_t unix_ms) {
  int64_t seconds = unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000;
  int64_t days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
  int64_t rest = seconds - days * 86400;
  int64_t year = 0;
  unsigned month = 0;
  unsigned day = 0;
  civilFromDays(days, year, month, day);
  int weekday = static_cast<int>(((days % 7) + 11) % 7); // 1970-01-01 was a Thursday
  char text[64];
  std::snprintf(text, sizeof text, "%s, %02u %s %04lld %02d:%02d:%02d +0000", kWeekdays[weekday], day,
                kMonths[month - 1], static_cast<long long>(year), static_cast<int>(rest / 3600),
                static_cast<int>(rest / 60 % 60), static_cast<int>(rest % 60));
  return text;
}

std::optional<int64_t> parseHttpDate(std::string_view text) {
  if (text.size() > 64) {
    return std::nullopt;
  }
  std::string s(text);
  char month[4] = {};
  int day = 0, year = 0, hour = 0, minute = 0, second = 0, consumed = 0;
  // IMF-fixdate
  if (std::sscanf(s.c_str(), "%*3[A-Za-z], %2d %3s %4d %2d:%2d:%2d GMT%n", &day, month, &year, &hour, &minute,
                  &second, &consumed) == 6 &&
      static_cast<size_t>(consumed) == s.size()) {
    return toUnixMs(year, monthIndex(month), day, hour, minute, second);
  }
  // RFC 850
  consumed = 0;
  if (std::sscanf(s.c_str(), "%*[A-Za-z], %2d-%3s-%2d %2d:%2d:%2d GMT%n", &day, month, &year, &hour, &minute,
                  &second, &consumed) == 6 &&
      static_cast<size_t>(consumed) == s.size()) {
    year += year < 70 ? 2000 : 1900;
    return toUnixMs(year, monthIndex(month), day, hour, minute, second);
  }
  // asctime
  consumed = 0;
  if (std::sscanf(s.c_str(), "%*3[A-Za-z] %3s %2d %2d:%2d:%2d %4d%n", month, &day, &hour, &minute, &second,
                  &year, &consumed) == 6 &&
      static_cast<size_t>(consumed) == s.size()) {
    return toUnixMs(year, monthIndex(month), day, hour, minute, second);
  }
  return std::nullopt;
}

} // namespace bambuddy::common::text
