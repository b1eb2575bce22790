// UTC offsets of IANA time zones ("Europe/Berlin") from the system's tzdata, for quiet hours in
// local time.
//
// Why cctz (libcctz-dev) and not Howard Hinnant's date/tz (libhowardhinnant-date-dev): Debian
// builds date/tz 3.0.1 on the system tzdata (USE_OS_TZDB), and in that mode it ignores the POSIX
// rule at the end of each zone file, so every zone with daylight saving stays on its last listed
// offset after 2037 (Berlin in July 2100 would be UTC+1). cctz applies the rule, loads one file per
// zone instead of scanning all of /usr/share/zoneinfo on first use, and reports an unknown zone by
// return value instead of an exception. Why not localtime_r: it follows the process-wide TZ
// variable, and switching that per call is not thread-safe (libcurl reads the environment on
// delivery threads).
#pragma once

#include <cctz/time_zone.h>

#include <cstdint>
#include <memory>
#include <string>

namespace bambuddy::notifications {

class TimeZone {
public:
  // Loads `name` from `zoneinfo_dir`. Names are IANA ids: letters, digits, '_', '-', '+' and '/'
  // separated segments, never "." or ".."; "UTC" needs no file. Returns nullptr and sets `error`
  // ("unknown time zone 'Mars/Base'") when it cannot.
  static std::shared_ptr<const TimeZone> load(const std::string& name, std::string& error,
                                              const std::string& zoneinfo_dir = "/usr/share/zoneinfo");
  static std::shared_ptr<const TimeZone> utc();

  TimeZone(std::string name, cctz::time_zone zone) : name_(std::move(name)), zone_(zone) {}

  const std::string& name() const { return name_; }
  // Offset east of UTC in seconds at `utc_s`.
  int32_t offsetAt(int64_t utc_s) const;

private:
  std::string name_;
  cctz::time_zone zone_;
};

} // namespace bambuddy::notifications
