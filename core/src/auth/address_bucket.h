// The unit the per-address limits and the aggregated audit rows count by. An IPv4 address is its
// own bucket; an IPv6 address counts as its /64, since one host usually holds a whole /64 and
// could otherwise rotate through 2^64 addresses to escape every per-address limit.
#pragma once

#include <string>

namespace bambuddy::auth {

// "192.0.2.7" -> "192.0.2.7"; "::ffff:192.0.2.7" -> "192.0.2.7"; "2001:db8:1:2:a:b:c:d" ->
// "2001:db8:1:2::/64". Text that is not an address (a Unix socket peer, "") is returned unchanged.
std::string addressBucket(const std::string& ip);

} // namespace bambuddy::auth
