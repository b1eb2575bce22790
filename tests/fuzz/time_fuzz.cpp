// The text time parsers: UTC timestamps (bambuddy/date_time.hpp, used through the core's
// common/time.h for queue scheduled_at and API filters and by auth.apikey for expires_at), HTTP
// dates (the notifiers' Retry-After) and time zone names (quiet hours). What parses must format
// and parse back to the same instant.
#include "common/time.h"
#include "notifications/time_zone.h"

#include <bambuddy/date_time.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "round trip failed: %s\n", what);
    std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (auto ms = bambuddy::parseUtcTimestamp(text)) {
    // Every instant the parser accepts (years 0000..9999; it found 9999-12-31T23:59:60Z, once
    // parsed to year 10000, which formatted with five digits) formats and parses back.
    check(*ms >= bambuddy::sdk::kMinEpochMs && *ms <= bambuddy::sdk::kMaxEpochMs, "parsed range");
    check(bambuddy::parseUtcTimestamp(bambuddy::formatUtcMs(*ms)) == ms, "formatUtcMs");
    (void)bambuddy::formatUtcSeconds(*ms);
  }
  if (auto ms = bambuddy::sdk::parseHttpDate(text)) {
    check(bambuddy::sdk::parseHttpDate(bambuddy::formatHttpDate(*ms)) == ms, "formatHttpDate");
    (void)bambuddy::sdk::formatRfc5322Date(*ms);
  }
  std::string zone_error;
  if (auto zone = bambuddy::notifications::TimeZone::load(text, zone_error)) {
    for (int64_t t : {INT64_MIN / 2, int64_t{-2208988800}, int64_t{-1}, int64_t{0}, int64_t{1700000000},
                      int64_t{2147483648}, int64_t{4102444800}, int64_t{253402300799}, INT64_MAX / 2}) {
      (void)zone->offsetAt(t);
    }
  }
  return 0;
}
