#include "common/time.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace bambuddy {

int64_t nowUtcMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t monotonicMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

namespace {
std::tm utcParts(int64_t epoch_ms) {
  int64_t seconds = epoch_ms / 1000;
  if (epoch_ms < 0 && epoch_ms % 1000 != 0) {
    --seconds;
  }
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm parts{};
  gmtime_r(&t, &parts);
  return parts;
}
} // namespace

std::string formatUtcMs(int64_t epoch_ms) {
  std::tm p = utcParts(epoch_ms);
  int ms = static_cast<int>(((epoch_ms % 1000) + 1000) % 1000);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", p.tm_year + 1900, p.tm_mon + 1,
                p.tm_mday, p.tm_hour, p.tm_min, p.tm_sec, ms);
  return buf;
}

std::string formatUtcSeconds(int64_t epoch_ms) {
  std::tm p = utcParts(epoch_ms);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", p.tm_year + 1900, p.tm_mon + 1, p.tm_mday,
                p.tm_hour, p.tm_min, p.tm_sec);
  return buf;
}

} // namespace bambuddy
