// SPDX-License-Identifier: MIT
//
// bambuddy/date_time.hpp — UTC timestamps as the API, mail and HTTP write them: RFC 3339 / ISO 8601
// ("2024-01-15T14:30:00Z"), RFC 5322 dates ("Mon, 15 Jan 2024 14:30:00 +0000") and HTTP-dates
// (RFC 9110). Header-only C++17; used by the server (core/src/common/time.h) and by plugins, which
// cannot link the server. Not part of the binary ABI.
//
// The calendar (days from a civil date and back, month lengths, leap years, weekdays) is Howard
// Hinnant's date.h (Debian: libhowardhinnant-date-dev, only its header-only part). The text is
// scanned here because date::parse reads through iostreams, accepts variable-width fields ("%Y"
// takes 1 to 4 digits) and any UTC offset, while the API accepts exactly one fixed-width form in UTC.
//
// Range: every form has a four-digit year, so the module speaks the instants from
// 0000-01-01T00:00:00.000Z (kMinEpochMs; year 0 is 1 BC, proleptic Gregorian) to
// 9999-12-31T23:59:59.999Z (kMaxEpochMs). The parsers refuse any text whose instant falls outside,
// even when every field is valid: the leap second "9999-12-31T23:59:60Z" would be 10000-01-01,
// which no four-digit form can write back. So whatever parses formats and parses back to the same
// instant. The formatters write an instant outside the range with the digits (or sign) its year
// needs, a text the parsers refuse; the server never produces one (clocks and parsed input only).
#pragma once

#include <date/date.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace bambuddy::sdk {

// The first and last instants (ms since the Unix epoch) of the four-digit years 0000..9999.
inline constexpr int64_t kMinEpochMs = -62167219200000; // 0000-01-01T00:00:00.000Z
inline constexpr int64_t kMaxEpochMs = 253402300799999; // 9999-12-31T23:59:59.999Z

namespace date_time_detail {

inline constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
inline constexpr const char* kWeekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

struct Civil {
  long long year;
  unsigned month, day, weekday; // weekday 0 = Sunday
  int hour, minute, second, millisecond;
};

inline Civil civil(int64_t epoch_ms) {
  using namespace std::chrono;
  const date::sys_time<milliseconds> instant{milliseconds{epoch_ms}};
  const date::sys_days day = date::floor<date::days>(instant);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss<milliseconds> time{instant - day};
  return {static_cast<int>(ymd.year()),
          static_cast<unsigned>(ymd.month()),
          static_cast<unsigned>(ymd.day()),
          date::weekday{day}.c_encoding(),
          static_cast<int>(time.hours().count()),
          static_cast<int>(time.minutes().count()),
          static_cast<int>(time.seconds().count()),
          static_cast<int>(time.subseconds().count())};
}

// `count` ASCII digits at text[pos], or false.
inline bool digits(std::string_view text, size_t pos, size_t count, int& out) {
  if (pos + count > text.size()) {
    return false;
  }
  out = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return false;
    }
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

inline unsigned monthFromName(std::string_view name) {
  for (unsigned i = 0; i < 12; ++i) {
    if (name == kMonths[i]) {
      return i + 1;
    }
  }
  return 0;
}

} // namespace date_time_detail

// Milliseconds since the Unix epoch of a UTC civil time, or nullopt with `error` saying which part
// is wrong: a date that does not exist (2023-02-29, month 13), a time out of range, or an instant
// outside kMinEpochMs..kMaxEpochMs. Second 60 (a leap second) is accepted and, like POSIX time,
// counts as the first second of the next minute, except on 9999-12-31, where that is year 10000.
inline std::optional<int64_t> epochMsFromCivil(int year, int month, int day, int hour, int minute, int second,
                                               int millisecond, std::string& error) {
  if (year < 0 || year > 9999) {
    error = "year " + std::to_string(year) + " is outside 0000..9999";
    return std::nullopt;
  }
  const date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                                 date::day{static_cast<unsigned>(day)}};
  if (month < 1 || month > 12 || day < 1 || !ymd.ok()) {
    error = "the date does not exist";
    return std::nullopt;
  }
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60 || millisecond < 0 ||
      millisecond > 999) {
    error = "the time of day is out of range";
    return std::nullopt;
  }
  const int64_t days = date::sys_days{ymd}.time_since_epoch().count();
  const int64_t ms = ((days * 86400 + hour * 3600 + minute * 60 + second) * 1000) + millisecond;
  if (ms > kMaxEpochMs) {
    error = "the leap second falls in year 10000, after 9999-12-31T23:59:59.999Z, the last instant "
            "a four-digit year can write";
    return std::nullopt;
  }
  return ms;
}

inline std::optional<int64_t> epochMsFromCivil(int year, int month, int day, int hour, int minute, int second,
                                               int millisecond = 0) {
  std::string error;
  return epochMsFromCivil(year, month, day, hour, minute, second, millisecond, error);
}

// "2024-01-15T14:30:00Z" (whole seconds, the API's form).
inline std::string formatIsoUtcSeconds(int64_t epoch_ms) {
  const auto c = date_time_detail::civil(epoch_ms);
  char text[48];
  std::snprintf(text, sizeof text, "%04lld-%02u-%02uT%02d:%02d:%02dZ", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  return text;
}

// "2024-01-15T14:30:00.123Z" (lossless, for stored documents and logs).
inline std::string formatIsoUtcMs(int64_t epoch_ms) {
  const auto c = date_time_detail::civil(epoch_ms);
  char text[48];
  std::snprintf(text, sizeof text, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", c.year, c.month, c.day, c.hour,
                c.minute, c.second, c.millisecond);
  return text;
}

// "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+00:00|-00:00)" ('t' and 'z' too; 1 to 9 fraction digits, those
// past milliseconds dropped) as ms since the epoch. Other offsets are refused: the API speaks UTC
// only. nullopt for anything else, including dates that do not exist and the one instant past
// kMaxEpochMs ("9999-12-31T23:59:60Z"), with `error` saying why (no input text in it).
inline std::optional<int64_t> parseIsoUtc(std::string_view text, std::string& error) {
  using date_time_detail::digits;
  int year, month, day, hour, minute, second;
  if (!digits(text, 0, 4, year) || text.size() < 20 || text[4] != '-' || !digits(text, 5, 2, month) ||
      text[7] != '-' || !digits(text, 8, 2, day) || (text[10] != 'T' && text[10] != 't') ||
      !digits(text, 11, 2, hour) || text[13] != ':' || !digits(text, 14, 2, minute) || text[16] != ':' ||
      !digits(text, 17, 2, second)) {
    error = "not of the form YYYY-MM-DDTHH:MM:SSZ";
    return std::nullopt;
  }
  size_t pos = 19;
  int millisecond = 0;
  if (text[pos] == '.') {
    const size_t start = ++pos;
    int scale = 100;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      millisecond += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start || pos - start > 9) {
      error = "the fraction of a second must have 1 to 9 digits";
      return std::nullopt;
    }
  }
  const std::string_view zone = text.substr(pos);
  if (zone != "Z" && zone != "z" && zone != "+00:00" && zone != "-00:00") {
    error = "must end in Z (or +00:00): only UTC is accepted";
    return std::nullopt;
  }
  return epochMsFromCivil(year, month, day, hour, minute, second, millisecond, error);
}

inline std::optional<int64_t> parseIsoUtc(std::string_view text) {
  std::string error;
  return parseIsoUtc(text, error);
}

namespace date_time_detail {

// "Sun, 06 Nov 1994 08:49:37 <zone>", the date-time shape HTTP and mail share (ms dropped).
inline std::string weekdayDate(int64_t epoch_ms, const char* zone) {
  const auto c = civil(epoch_ms);
  char text[48];
  std::snprintf(text, sizeof text, "%s, %02u %s %04lld %02d:%02d:%02d %s", kWeekdays[c.weekday], c.day,
                kMonths[c.month - 1], c.year, c.hour, c.minute, c.second, zone);
  return text;
}

} // namespace date_time_detail

// IMF-fixdate, the HTTP-date servers send: "Sun, 06 Nov 1994 08:49:37 GMT" (milliseconds dropped).
inline std::string formatHttpDate(int64_t epoch_ms) {
  return date_time_detail::weekdayDate(epoch_ms, "GMT");
}

// RFC 5322 section 3.3 date-time in UTC, for mail: "Mon, 15 Jan 2024 14:30:00 +0000".
inline std::string formatRfc5322Date(int64_t epoch_ms) {
  return date_time_detail::weekdayDate(epoch_ms, "+0000");
}

// An HTTP-date (RFC 9110 section 5.6.7) in any of its three forms, as ms since the epoch:
//   "Sun, 06 Nov 1994 08:49:37 GMT"  (IMF-fixdate)
//   "Sunday, 06-Nov-94 08:49:37 GMT" (RFC 850; a two-digit year below 70 is 20xx)
//   "Sun Nov  6 08:49:37 1994"       (asctime)
// nullopt for anything else (the weekday name is not checked against the date), including
// "Fri, 31 Dec 9999 23:59:60 GMT", which falls past kMaxEpochMs.
inline std::optional<int64_t> parseHttpDate(std::string_view text) {
  if (text.size() > 64) {
    return std::nullopt;
  }
  const std::string s(text);
  char month[4] = {};
  int day = 0, year = 0, hour = 0, minute = 0, second = 0, consumed = 0;
  auto whole = [&](int fields) { return fields == 6 && static_cast<size_t>(consumed) == s.size(); };
  auto result = [&]() -> std::optional<int64_t> {
    if (year < 1900) {
      return std::nullopt;
    }
    return epochMsFromCivil(year, static_cast<int>(date_time_detail::monthFromName(month)), day, hour, minute,
                            second);
  };
  if (whole(std::sscanf(s.c_str(), "%*3[A-Za-z], %2d %3s %4d %2d:%2d:%2d GMT%n", &day, month, &year, &hour,
                        &minute, &second, &consumed))) {
    return result();
  }
  consumed = 0;
  if (whole(std::sscanf(s.c_str(), "%*[A-Za-z], %2d-%3s-%2d %2d:%2d:%2d GMT%n", &day, month, &year, &hour,
                        &minute, &second, &consumed))) {
    year += year < 70 ? 2000 : 1900;
    return result();
  }
  consumed = 0;
  if (whole(std::sscanf(s.c_str(), "%*3[A-Za-z] %3s %2d %2d:%2d:%2d %4d%n", month, &day, &hour, &minute,
                        &second, &year, &consumed))) {
    return result();
  }
  return std::nullopt;
}

} // namespace bambuddy::sdk
