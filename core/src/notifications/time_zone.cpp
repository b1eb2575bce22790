#include "notifications/time_zone.h"

#include <cctype>
#include <chrono>
#include <filesystem>

namespace bambuddy::notifications {

namespace {

// The name is checked before cctz sees it: cctz also accepts absolute paths, "file:" prefixes and
// "..", and remembers every name it was asked for, failed ones included.
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

std::shared_ptr<const TimeZone> TimeZone::utc() {
  return std::make_shared<const TimeZone>("UTC", cctz::utc_time_zone());
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
  // Only existing files reach cctz, so its cache of names stays bounded by the tzdata; the explicit
  // directory keeps the TZDIR environment variable out of it.
  const std::string path = zoneinfo_dir + "/" + name;
  std::error_code ec;
  cctz::time_zone zone;
  if (!std::filesystem::is_regular_file(path, ec) || !cctz::load_time_zone("file:" + path, &zone)) {
    error = "unknown time zone '" + name + "' (expected an IANA name such as Europe/Berlin)";
    return nullptr;
  }
  return std::make_shared<const TimeZone>(name, zone);
}

int32_t TimeZone::offsetAt(int64_t utc_s) const {
  const auto instant =
      std::chrono::time_point<std::chrono::system_clock, cctz::seconds>(cctz::seconds(utc_s));
  return static_cast<int32_t>(zone_.lookup(instant).offset);
}

} // namespace bambuddy::notifications
