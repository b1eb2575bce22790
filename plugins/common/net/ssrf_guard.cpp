#include "net/ssrf_guard.h"

#include "text/json_input.h"

#include <bambuddy/abi.h>
#include <bambuddy/sdk.hpp>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <stdexcept>

namespace bambuddy::common::net {
namespace {

struct BuiltinRange {
  const char* cidr;
  const char* category;
};

// Metadata addresses come first: they sit inside ranges with a milder label (link-local, fc00::/7).
constexpr BuiltinRange kMetadata[] = {
    {"169.254.169.254/32", "cloud metadata"},
    {"fd00:ec2::254/128", "cloud metadata"},
    {"100.100.100.200/32", "cloud metadata"},
};

constexpr BuiltinRange kRefused[] = {
    {"169.254.0.0/16", "link-local"},    {"fe80::/10", "link-local"},  {"0.0.0.0/8", "unspecified"},
    {"::/128", "unspecified"},           {"224.0.0.0/4", "multicast"}, {"ff00::/8", "multicast"},
    {"255.255.255.255/32", "broadcast"},
};

struct ParsedRange {
  sdk::Cidr cidr;
  const char* category;
};

template <size_t N> std::vector<ParsedRange> parseAll(const BuiltinRange (&ranges)[N]) {
  std::vector<ParsedRange> out;
  for (const BuiltinRange& r : ranges) {
    out.push_back({*sdk::Cidr::parse(r.cidr), r.category});
  }
  return out;
}

// Parsed once (function-local statics are initialised thread-safely) so a check allocates nothing.
const std::vector<ParsedRange>& metadataRanges() {
  static const std::vector<ParsedRange> ranges = parseAll(kMetadata);
  return ranges;
}

const std::vector<ParsedRange>& refusedRanges() {
  static const std::vector<ParsedRange> ranges = parseAll(kRefused);
  return ranges;
}

std::vector<sdk::Cidr> parseList(const nlohmann::json& config, const char* key) {
  std::vector<sdk::Cidr> out;
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) {
    return out;
  }
  if (!it->is_array()) {
    throw std::invalid_argument(std::string("/") + key +
                                " must be an array of addresses or CIDR ranges, got " + it->type_name());
  }
  for (size_t i = 0; i < it->size(); ++i) {
    const nlohmann::json& entry = (*it)[i];
    std::string where = std::string("/") + key + "/" + std::to_string(i);
    if (!entry.is_string()) {
      throw std::invalid_argument(where + " must be a string, got " + entry.type_name());
    }
    std::string why;
    auto cidr = sdk::Cidr::parse(entry.get<std::string>(), &why);
    if (!cidr) {
      throw std::invalid_argument(where + ": '" + entry.get<std::string>() + "' is not a valid CIDR (" + why +
                                  ")");
    }
    out.push_back(*cidr);
  }
  return out;
}

} // namespace

SsrfPolicy SsrfPolicy::fromConfig(const nlohmann::json& config) {
  SsrfPolicy policy;
  if (!config.is_object()) {
    return policy;
  }
  policy.allow_ = parseList(config, "allow_cidrs");
  policy.deny_ = parseList(config, "deny_cidrs");
  return policy;
}

SsrfPolicy policyFromPluginConfig(const std::string& config_json, const std::string& plugin_name) {
  const std::string what = plugin_name + " config";
  nlohmann::json config = text::parseJsonObject(config_json, "invalid_config", what);
  text::rejectUnknownKeys(config, {"allow_cidrs", "deny_cidrs"}, "invalid_config", what);
  try {
    return SsrfPolicy::fromConfig(config);
  } catch (const std::invalid_argument& e) {
    throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_config", what + ": " + e.what());
  }
}

std::optional<std::string> SsrfPolicy::refusal(const std::string& ip) const {
  if (!sdk::Cidr::parse(ip)) {
    return std::string("not an IP address");
  }
  for (const sdk::Cidr& d : deny_) {
    if (d.contains(ip)) {
      return "deny_cidrs entry " + d.str();
    }
  }
  for (const ParsedRange& m : metadataRanges()) {
    if (m.cidr.contains(ip)) {
      // Only an entry for exactly this address unlocks it: allowing a link-local /16 for a device
      // must not open the cloud's credential endpoint as a side effect.
      bool exact = std::any_of(allow_.begin(), allow_.end(), [&](const sdk::Cidr& a) {
        return a.contains(ip) && a.prefixLength() == (a.isIpv4() ? 32u : 128u);
      });
      return exact ? std::nullopt : std::optional<std::string>(m.category);
    }
  }
  for (const sdk::Cidr& a : allow_) {
    if (a.contains(ip)) {
      return std::nullopt;
    }
  }
  for (const ParsedRange& r : refusedRanges()) {
    if (r.cidr.contains(ip)) {
      return std::string(r.category);
    }
  }
  return std::nullopt;
}

GuardResult resolveAndCheck(const SsrfPolicy& policy, const std::string& host, uint16_t port) {
  GuardResult result;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  addrinfo* list = nullptr;
  std::string service = std::to_string(port);
  int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
  if (rc != 0) {
    result.kind = GuardResult::Kind::ResolveFailed;
    result.error = "cannot resolve host '" + host + "': " + ::gai_strerror(rc);
    return result;
  }
  for (addrinfo* a = list; a != nullptr; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    if (a->ai_family == AF_INET) {
      ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr, text, sizeof text);
    } else if (a->ai_family == AF_INET6) {
      ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr, text, sizeof text);
    } else {
      continue;
    }
    std::string ip = text;
    if (std::find(result.addresses.begin(), result.addresses.end(), ip) == result.addresses.end()) {
      result.addresses.push_back(ip);
    }
  }
  ::freeaddrinfo(list);
  if (result.addresses.empty()) {
    result.kind = GuardResult::Kind::ResolveFailed;
    result.error = "host '" + host + "' has no IPv4 or IPv6 address";
    return result;
  }
  for (const std::string& ip : result.addresses) {
    if (auto why = policy.refusal(ip)) {
      result.kind = GuardResult::Kind::Refused;
      result.error = "target address " + ip + " is refused by the SSRF guard (" + *why + ")";
      result.addresses.clear();
      return result;
    }
  }
  result.kind = GuardResult::Kind::Allowed;
  return result;
}

} // namespace bambuddy::common::net
