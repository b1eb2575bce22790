// Zone files (TZif) as the quiet-hours code reads them from /usr/share/zoneinfo, with the POSIX TZ
// footer, and offsets asked for across the whole range of instants a provider might meet.
#include "notifications/time_zone.h"

#include <cstddef>
#include <cstdint>
#include <string>

using bambuddy::notifications::TimeZone;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto zone = TimeZone::fromTzif("Fuzz/Zone", bytes);
  if (zone) {
    for (int64_t t : {INT64_MIN / 2, int64_t{-2208988800}, int64_t{-1}, int64_t{0}, int64_t{1700000000},
                      int64_t{2147483648}, int64_t{4102444800}, int64_t{253402300799}, INT64_MAX / 2}) {
      (void)zone->offsetAt(t);
    }
  }
  return 0;
}
