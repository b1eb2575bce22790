// Percent-encoding (RFC 3986): for values placed in a URL path segment or an
// application/x-www-form-urlencoded body, where only unreserved characters may stay as they are.
#pragma once

#include <string>
#include <string_view>

namespace bambuddy::common::text {

// Every byte but A-Z a-z 0-9 - . _ ~ as %XX (upper-case hex); a space becomes %20, which form
// decoders read as a space too.
std::string percentEncode(std::string_view text);

} // namespace bambuddy::common::text
