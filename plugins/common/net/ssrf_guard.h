// The SSRF guard of the notifiers: which addresses a provider may make the server connect to.
//
// A provider's URL is typed by whoever may change settings, so without a guard it could point the
// server at things only the server can reach. Loopback and private LAN stay allowed by default
// (Home Assistant and Node-RED live there); refused by default are the ranges that are never a
// notification receiver but are dangerous to reach:
//
//   link-local      169.254.0.0/16, fe80::/10
//   cloud metadata  169.254.169.254, fd00:ec2::254 (AWS), 100.100.100.200 (Alibaba)
//   unspecified     0.0.0.0/8, ::/128
//   multicast       224.0.0.0/4, ff00::/8
//   broadcast       255.255.255.255
//
// The plugin's config adds `allow_cidrs` (exceptions to the refusals above; a cloud metadata
// address is only allowed by an entry for that single address) and `deny_cidrs` (refused, always
// wins). Public addresses are allowed unless denied. IPv4-mapped IPv6 addresses are judged as IPv4.
#pragma once

#include <bambuddy/cidr.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bambuddy::common::net {

class SsrfPolicy {
public:
  SsrfPolicy() = default;

  // Reads "allow_cidrs" and "deny_cidrs" (arrays of address or CIDR strings, both optional) from a
  // plugin config object. Throws std::invalid_argument naming the entry, e.g.
  // "/deny_cidrs/1: '10.0.0.0/33' is not a valid CIDR (prefix length 33 exceeds 32 for IPv4)".
  static SsrfPolicy fromConfig(const nlohmann::json& config);

  void allow(const sdk::Cidr& range) { allow_.push_back(range); }
  void deny(const sdk::Cidr& range) { deny_.push_back(range); }

  // nullopt when a connection to `ip` (a bare address) is allowed, else why not, e.g.
  // "link-local", "cloud metadata", "deny_cidrs entry 127.0.0.0/8".
  std::optional<std::string> refusal(const std::string& ip) const;

private:
  std::vector<sdk::Cidr> allow_;
  std::vector<sdk::Cidr> deny_;
};

// A notifier's whole config block when the guard is all it configures: {"allow_cidrs": [...],
// "deny_cidrs": [...]}. Throws sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_config",
// "<plugin_name> config: /deny_cidrs/1: ...") for bad entries and unknown keys.
SsrfPolicy policyFromPluginConfig(const std::string& config_json, const std::string& plugin_name);

// The outcome of resolving and checking a target host.
struct GuardResult {
  enum class Kind {
    Allowed,      // every address passed; `addresses` holds them (numeric, no brackets)
    Refused,      // an address is refused: do not connect, do not retry
    ResolveFailed // the name did not resolve now (may work later)
  };
  Kind kind = Kind::ResolveFailed;
  std::vector<std::string> addresses;
  std::string error; // for Refused and ResolveFailed, e.g.
                     // "target address 169.254.169.254 is refused by the SSRF guard (cloud metadata)"
};

// Resolves `host` (a name or an IP literal without brackets) with getaddrinfo and checks EVERY
// address, so one bad record refuses the whole target. getaddrinfo has no deadline of its own: a
// lookup takes as long as the system resolver does (resolv.conf timeout and attempts).
GuardResult resolveAndCheck(const SsrfPolicy& policy, const std::string& host, uint16_t port);

} // namespace bambuddy::common::net
