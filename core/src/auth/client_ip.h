// Which address a request really came from when it passes through reverse proxies.
#pragma once

#include <bambuddy/cidr.hpp>

#include <optional>
#include <string>
#include <vector>

namespace bambuddy::auth {

// X-Forwarded-For is believed only when the TCP peer is a trusted proxy; then the list is walked
// from the right (the hop nearest to us), skipping trusted proxies, and the first untrusted
// address is the client. If every entry is trusted, the leftmost one is. An entry that is not an
// IP address stops the walk: the last good address seen (or the peer) is used, since anything
// further left could have been written by the client itself. Entries may carry spaces around the
// commas; "[v6]" and "v4:port" forms are not accepted (proxies write bare addresses).
std::string resolveClientIp(const std::string& peer_ip, const std::optional<std::string>& x_forwarded_for,
                            const std::vector<sdk::Cidr>& trusted_proxies);

// True when `ip` lies in one of the ranges.
bool isTrusted(const std::string& ip, const std::vector<sdk::Cidr>& trusted_proxies);

} // namespace bambuddy::auth
