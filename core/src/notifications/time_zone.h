// UTC offsets of IANA time zones ("Europe/Berlin"), read from the system's compiled zone files
// (TZif, /usr/share/zoneinfo), for quiet hours in local time.
//
// Why not localtime_r: it follows the process-wide TZ variable, and switching that per call is
// not thread-safe (libcurl reads the environment on delivery threads). A TZif file holds the
// transition table plus, from version 2 on, a POSIX TZ rule for times after the last transition;
// both are used here.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bambuddy::notifications {

// A POSIX TZ rule such as "CET-1CEST,M3.5.0,M10.5.0/3" (the footer of TZif v2+ files).
class PosixTzRule {
public:
  // nullopt when the text is not a rule this parser understands.
  static std::optional<PosixTzRule> parse(const std::string& text);
  // Offset east of UTC in seconds at `utc_s`.
  int32_t offsetAt(int64_t utc_s) const;

private:
  struct Transition {
    enum class Kind { Julian1, Julian0, MonthWeekDay } kind = Kind::MonthWeekDay;
    int day = 0; // Jn: 1..365; n: 0..365; M: day of week 0..6
    int month = 0;
    int week = 0;
    int32_t time_s = 7200; // local time of day of the change (may be negative or past 24 h)
  };
  int64_t transitionUtc(const Transition& t, int64_t year, int32_t offset_before) const;

  int32_t std_offset_ = 0; // east of UTC
  int32_t dst_offset_ = 0;
  bool has_dst_ = false;
  Transition start_, end_;
};

class TimeZone {
public:
  // Loads `name` from `zoneinfo_dir`. Names are IANA ids: letters, digits, '_', '-', '+' and '/'
  // separated segments, never "." or ".."; "UTC" needs no file. Returns nullptr and sets `error`
  // ("unknown time zone 'Mars/Base'") when it cannot.
  static std::shared_ptr<const TimeZone> load(const std::string& name, std::string& error,
                                              const std::string& zoneinfo_dir = "/usr/share/zoneinfo");
  // Parses TZif bytes; nullptr when they are not a TZif file.
  static std::shared_ptr<const TimeZone> fromTzif(const std::string& name, const std::string& bytes);
  static std::shared_ptr<const TimeZone> utc();

  const std::string& name() const { return name_; }
  // Offset east of UTC in seconds at `utc_s`.
  int32_t offsetAt(int64_t utc_s) const;

private:
  std::string name_;
  std::vector<int64_t> transitions_; // ascending UTC seconds
  std::vector<uint8_t> types_;       // per transition: index into offsets_
  std::vector<int32_t> offsets_;     // per local time type
  int32_t initial_offset_ = 0;       // before the first transition
  std::optional<PosixTzRule> footer_;
};

} // namespace bambuddy::notifications
