// Which address a request really came from when it passes through reverse proxies.
//
// Forwarding headers are believed only when the TCP peer is in server.trusted_proxies. The hops a
// header lists are then walked from the right (the hop nearest to us), skipping trusted proxies;
// the first untrusted address is the client. If every hop is trusted, the leftmost one is. A hop
// that is not an address (garbage, RFC 7239 "unknown" or an obfuscated "_name") stops the walk: the
// last good address seen (or the peer) is used, since anything further left could have been
// written by the client itself.
//
// Every line of a header counts: a proxy may append its own X-Forwarded-For or Forwarded line
// rather than extend the one the client sent, so the lines are joined in arrival order (RFC 9110
// list semantics) before walking. Reading only the first line would let the client choose its
// address.
//
// X-Forwarded-For entries are bare addresses ("[v6]" and "v4:port" forms count as garbage: proxies
// that write this header write bare addresses). Forwarded (RFC 7239) elements are read for their
// for= parameter: a token or quoted string, IPv4 with an optional port, IPv6 in brackets with an
// optional port ("[2001:db8::1]:4711"), or "unknown" / "_obfuscated" (which stop the walk).
//
// When a request carries both headers, both are walked and must name the same client; if they
// disagree, the client address is unknown (`conflict`), because a proxy that writes one of them
// passes the other through from the client unchanged. The gate refuses such requests (400).
#pragma once

#include <bambuddy/cidr.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bambuddy::auth {

struct ClientAddress {
  std::string ip;        // the client, or the peer when no header is believed
  bool conflict = false; // X-Forwarded-For and Forwarded name different clients
};

// Everything above, from the request's headers (names compared case-insensitively).
ClientAddress resolveClientAddress(const std::string& peer_ip,
                                   const std::vector<std::pair<std::string, std::string>>& headers,
                                   const std::vector<sdk::Cidr>& trusted_proxies);

// One X-Forwarded-For value (lines already joined with ", ").
std::string resolveClientIp(const std::string& peer_ip, const std::optional<std::string>& x_forwarded_for,
                            const std::vector<sdk::Cidr>& trusted_proxies);

// One Forwarded value (lines already joined with ", ").
std::string resolveForwardedClient(const std::string& peer_ip, const std::string& forwarded,
                                   const std::vector<sdk::Cidr>& trusted_proxies);

// The node of an RFC 7239 for= value as a bare address: "192.0.2.1:80" -> "192.0.2.1",
// "[2001:db8::1]:4711" -> "2001:db8::1"; nullopt for "unknown", "_hidden" and anything else.
std::optional<std::string> forwardedNodeAddress(std::string_view value);

// The for= values of a Forwarded header, one per element, in order ("" for an element without
// one), with quoted strings unquoted. nullopt when the header does not parse.
std::optional<std::vector<std::string>> forwardedForValues(std::string_view forwarded);

// True when `ip` lies in one of the ranges.
bool isTrusted(const std::string& ip, const std::vector<sdk::Cidr>& trusted_proxies);

} // namespace bambuddy::auth
