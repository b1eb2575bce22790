#include "notifications/time_zone.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace bambuddy::notifications {

namespace {

constexpr int64_t kDayS = 86400;

int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// Days since 1970-01-01 of a proleptic Gregorian date (month 1..12; day may run past the month).
int64_t daysFromCivil(int64_t year, int month, int day) {
  // Count from March so the leap day is the last day of the counted year.
  year -= month <= 2 ? 1 : 0;
  const int64_t era = floorDiv(year, 400);
  const int64_t year_of_era = year - era * 400;
  const int64_t month_from_march = (month + 9) % 12;
  const int64_t day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

bool isLeap(int64_t year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int64_t yearOfDays(int64_t days) {
  // Start from an estimate and correct it; at most a step or two either way.
  int64_t year = 1970 + floorDiv(days * 400, 146097);
  while (daysFromCivil(year, 1, 1) > days) {
    --year;
  }
  while (daysFromCivil(year + 1, 1, 1) <= days) {
    ++year;
  }
  return year;
}

class Cursor {
public:
  explicit Cursor(const std::string& text) : text_(text) {}
  bool done() const { return pos_ >= text_.size(); }
  char peek() const { return done() ? '\0' : text_[pos_]; }
  bool take(char c) {
    if (peek() == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool number(int& out, int max_value) {
    if (!std::isdigit(static_cast<unsigned char>(peek()))) {
      return false;
    }
    int value = 0;
    while (std::isdigit(static_cast<unsigned char>(peek()))) {
      value = value * 10 + (text_[pos_++] - '0');
      if (value > max_value) {
        return false;
      }
    }
    out = value;
    return true;
  }
  // A zone abbreviation: three or more letters, or <...> with letters, digits, '+' and '-'.
  bool name() {
    if (take('<')) {
      size_t start = pos_;
      while (!done() && peek() != '>') {
        ++pos_;
      }
      return take('>') && pos_ - start >= 4;
    }
    size_t start = pos_;
    while (std::isalpha(static_cast<unsigned char>(peek()))) {
      ++pos_;
    }
    return pos_ - start >= 3;
  }
  // [+-]hh[:mm[:ss]] in seconds, hours up to max_hours.
  bool duration(int32_t& out, int max_hours) {
    int sign = 1;
    if (take('-')) {
      sign = -1;
    } else {
      take('+');
    }
    int h = 0, m = 0, s = 0;
    if (!number(h, max_hours)) {
      return false;
    }
    if (take(':')) {
      if (!number(m, 59)) {
        return false;
      }
      if (take(':') && !number(s, 59)) {
        return false;
      }
    }
    out = sign * (h * 3600 + m * 60 + s);
    return true;
  }

private:
  const std::string& text_;
  size_t pos_ = 0;
};

uint32_t be32(const std::string& b, size_t at) {
  return (uint32_t(uint8_t(b[at])) << 24) | (uint32_t(uint8_t(b[at + 1])) << 16) |
         (uint32_t(uint8_t(b[at + 2])) << 8) | uint32_t(uint8_t(b[at + 3]));
}

int64_t be64(const std::string& b, size_t at) {
  return static_cast<int64_t>((uint64_t(be32(b, at)) << 32) | be32(b, at + 4));
}

bool validZoneName(const std::string& name) {
  if (name.empty() || name.size() > 64 || name.front() == '/' || name.back() == '/') {
    return false;
  }
  char previous = '/';
  for (char c : name) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '+' || c == '/';
    if (!ok || (c == '/' && previous == '/')) {
      return false;
    }
    previous = c;
  }
  return true;
}

} // namespace

std::optional<PosixTzRule> PosixTzRule::parse(const std::string& text) {
  Cursor in(text);
  PosixTzRule rule;
  int32_t posix_offset = 0;
  if (!in.name() || !in.duration(posix_offset, 24)) {
    return std::nullopt;
  }
  rule.std_offset_ = -posix_offset; // POSIX counts west of Greenwich as positive
  if (in.done()) {
    return rule;
  }
  if (!in.name()) {
    return std::nullopt;
  }
  rule.has_dst_ = true;
  rule.dst_offset_ = rule.std_offset_ + 3600;
  if (in.peek() != ',' && !in.done()) {
    if (!in.duration(posix_offset, 24)) {
      return std::nullopt;
    }
    rule.dst_offset_ = -posix_offset;
  }
  auto parseTransition = [&](Transition& t) {
    if (in.take('M')) {
      t.kind = Transition::Kind::MonthWeekDay;
      if (!in.number(t.month, 12) || t.month < 1 || !in.take('.') || !in.number(t.week, 5) || t.week < 1 ||
          !in.take('.') || !in.number(t.day, 6)) {
        return false;
      }
    } else if (in.take('J')) {
      t.kind = Transition::Kind::Julian1;
      if (!in.number(t.day, 365) || t.day < 1) {
        return false;
      }
    } else {
      t.kind = Transition::Kind::Julian0;
      if (!in.number(t.day, 365)) {
        return false;
      }
    }
    t.time_s = 7200;
    if (in.take('/')) {
      return in.duration(t.time_s, 167);
    }
    return true;
  };
  if (in.done()) {
    // No rule given: POSIX leaves it to the implementation; use the US rule like glibc.
    rule.start_ = {Transition::Kind::MonthWeekDay, 0, 3, 2, 7200};
    rule.end_ = {Transition::Kind::MonthWeekDay, 0, 11, 1, 7200};
    return rule;
  }
  if (!in.take(',') || !parseTransition(rule.start_) || !in.take(',') || !parseTransition(rule.end_) ||
      !in.done()) {
    return std::nullopt;
  }
  return rule;
}

int64_t PosixTzRule::transitionUtc(const Transition& t, int64_t year, int32_t offset_before) const {
  int64_t day = 0;
  switch (t.kind) {
  case Transition::Kind::Julian1: // 1..365, February 29 never counted
    day = daysFromCivil(year, 1, 1) + t.day - 1 + (isLeap(year) && t.day >= 60 ? 1 : 0);
    break;
  case Transition::Kind::Julian0: // 0..365, February 29 counted
    day = daysFromCivil(year, 1, 1) + t.day;
    break;
  case Transition::Kind::MonthWeekDay: {
    const int64_t first = daysFromCivil(year, t.month, 1);
    const int64_t month_days = daysFromCivil(year, t.month + 1, 1) - first;
    const int64_t first_weekday = ((first + 4) % 7 + 7) % 7; // 1970-01-01 was a Thursday
    int64_t offset = (t.day - first_weekday + 7) % 7 + int64_t{7} * (t.week - 1);
    while (offset >= month_days) {
      offset -= 7; // week 5 means "the last one"
    }
    day = first + offset;
    break;
  }
  }
  return day * kDayS + t.time_s - offset_before;
}

int32_t PosixTzRule::offsetAt(int64_t utc_s) const {
  if (!has_dst_) {
    return std_offset_;
  }
  const int64_t year = yearOfDays(floorDiv(utc_s + std_offset_, kDayS));
  const int64_t start = transitionUtc(start_, year, std_offset_);
  const int64_t end = transitionUtc(end_, year, dst_offset_);
  const bool dst = start < end ? (utc_s >= start && utc_s < end) : !(utc_s >= end && utc_s < start);
  return dst ? dst_offset_ : std_offset_;
}

std::shared_ptr<const TimeZone> TimeZone::utc() {
  auto zone = std::make_shared<TimeZone>();
  zone->name_ = "UTC";
  zone->offsets_ = {0};
  return zone;
}

std::shared_ptr<const TimeZone> TimeZone::fromTzif(const std::string& name, const std::string& bytes) {
  constexpr size_t kHeader = 44;
  if (bytes.size() < kHeader || bytes.compare(0, 4, "TZif") != 0) {
    return nullptr;
  }
  struct Counts {
    uint32_t isut, isstd, leap, time, type, chars;
  };
  auto counts = [&](size_t at) {
    return Counts{be32(bytes, at + 20), be32(bytes, at + 24), be32(bytes, at + 28),
                  be32(bytes, at + 32), be32(bytes, at + 36), be32(bytes, at + 40)};
  };
  auto blockSize = [](const Counts& c, size_t time_size) {
    return size_t{c.time} * time_size + c.time + size_t{c.type} * 6 + c.chars +
           size_t{c.leap} * (time_size + 4) + c.isstd + c.isut;
  };
  const char version = bytes[4];
  size_t at = 0;
  size_t time_size = 4;
  Counts c = counts(0);
  if (version >= '2') {
    at = kHeader + blockSize(c, 4); // skip the 32-bit block: the 64-bit one follows
    if (bytes.size() < at + kHeader || bytes.compare(at, 4, "TZif") != 0) {
      return nullptr;
    }
    c = counts(at);
    time_size = 8;
  }
  const size_t data = at + kHeader;
  if (c.type == 0 || bytes.size() < data + blockSize(c, time_size)) {
    return nullptr;
  }
  auto zone = std::make_shared<TimeZone>();
  zone->name_ = name;
  size_t p = data;
  for (uint32_t i = 0; i < c.time; ++i, p += time_size) {
    zone->transitions_.push_back(time_size == 8 ? be64(bytes, p) : static_cast<int32_t>(be32(bytes, p)));
  }
  for (uint32_t i = 0; i < c.time; ++i, ++p) {
    uint8_t type = static_cast<uint8_t>(bytes[p]);
    if (type >= c.type) {
      return nullptr;
    }
    zone->types_.push_back(type);
  }
  for (uint32_t i = 0; i < c.type; ++i, p += 6) {
    zone->offsets_.push_back(static_cast<int32_t>(be32(bytes, p)));
  }
  if (!std::is_sorted(zone->transitions_.begin(), zone->transitions_.end())) {
    return nullptr;
  }
  zone->initial_offset_ = zone->offsets_[0];
  if (time_size == 8) {
    size_t footer = data + blockSize(c, time_size);
    if (footer < bytes.size() && bytes[footer] == '\n') {
      size_t end = bytes.find('\n', footer + 1);
      if (end != std::string::npos && end > footer + 1) {
        zone->footer_ = PosixTzRule::parse(bytes.substr(footer + 1, end - footer - 1));
      }
    }
  }
  return zone;
}

std::shared_ptr<const TimeZone> TimeZone::load(const std::string& name, std::string& error,
                                               const std::string& zoneinfo_dir) {
  if (name == "UTC" || name == "Etc/UTC" || name == "Z") {
    return utc();
  }
  if (!validZoneName(name)) {
    error = "'" + name + "' is not an IANA time zone name (e.g. Europe/Berlin)";
    return nullptr;
  }
  std::ifstream file(zoneinfo_dir + "/" + name, std::ios::binary);
  std::ostringstream bytes;
  if (file) {
    bytes << file.rdbuf();
  }
  auto zone = file ? fromTzif(name, bytes.str()) : nullptr;
  if (zone == nullptr) {
    error = "unknown time zone '" + name + "' (expected an IANA name such as Europe/Berlin)";
  }
  return zone;
}

int32_t TimeZone::offsetAt(int64_t utc_s) const {
  if (transitions_.empty()) {
    return footer_ ? footer_->offsetAt(utc_s) : initial_offset_;
  }
  if (utc_s < transitions_.front()) {
    return initial_offset_;
  }
  if (utc_s >= transitions_.back() && footer_) {
    return footer_->offsetAt(utc_s);
  }
  size_t i = static_cast<size_t>(std::upper_bound(transitions_.begin(), transitions_.end(), utc_s) -
                                 transitions_.begin()) -
             1;
  return offsets_[types_[i]];
}

} // namespace bambuddy::notifications
