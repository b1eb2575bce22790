#include "auth/client_ip.h"

#include "common/text.h"

#include <string_view>

namespace bambuddy::auth {

namespace {

bool isAddress(std::string_view text) {
  // A bare address parses as a single-host range; anything with a '/' is not an address.
  return !text.empty() && text.find('/') == std::string_view::npos && sdk::Cidr::parse(text).has_value();
}

} // namespace

bool isTrusted(const std::string& ip, const std::vector<sdk::Cidr>& trusted_proxies) {
  for (const auto& range : trusted_proxies) {
    if (range.contains(ip)) {
      return true;
    }
  }
  return false;
}

std::string resolveClientIp(const std::string& peer_ip, const std::optional<std::string>& x_forwarded_for,
                            const std::vector<sdk::Cidr>& trusted_proxies) {
  if (!x_forwarded_for || trusted_proxies.empty() || !isTrusted(peer_ip, trusted_proxies)) {
    return peer_ip;
  }
  std::string_view list = *x_forwarded_for;
  std::string last_good = peer_ip;
  std::size_t end = list.size();
  while (true) {
    const std::size_t comma = end == 0 ? std::string_view::npos : list.rfind(',', end - 1);
    const std::size_t begin = comma == std::string_view::npos ? 0 : comma + 1;
    std::string_view entry = trimOws(list.substr(begin, end - begin));
    if (!isAddress(entry)) {
      return last_good;
    }
    last_good = std::string(entry);
    if (!isTrusted(last_good, trusted_proxies)) {
      return last_good;
    }
    if (comma == std::string_view::npos) {
      return last_good; // every hop was trusted: the leftmost is the best we know
    }
    end = comma;
  }
}

} // namespace bambuddy::auth
