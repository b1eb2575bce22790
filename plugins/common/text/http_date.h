// Dates in the formats mail and HTTP use, computed without the C library's locale or time zone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bambuddy::common::text {

// RFC 5322 section 3.3 date-time in UTC: "Mon, 15 Jan 2024 14:30:00 +0000".
std::string formatRfc5322Date(int64_t unix_ms);

// An HTTP-date (RFC 9110 section 5.6.7) in any of its three forms, as Unix ms:
//   "Sun, 06 Nov 1994 08:49:37 GMT"  (IMF-fixdate)
//   "Sunday, 06-Nov-94 08:49:37 GMT" (RFC 850; a two-digit year below 70 is 20xx)
//   "Sun Nov  6 08:49:37 1994"       (asctime)
// nullopt for anything else.
std::optional<int64_t> parseHttpDate(std::string_view text);

} // namespace bambuddy::common::text
