#include "auth/client_ip.h"

#include "common/text.h"
#include "http/url.h"

#include <arpa/inet.h>

namespace bambuddy::auth {

namespace {

// A hop is believed only up to this many from the right; longer chains are cut (the leftmost
// hops are the ones a client could have written anyway).
constexpr std::size_t kMaxHops = 64;

// The canonical text of a bare address (so "2001:DB8::1" and "2001:db8::1" compare equal), or
// nullopt when it is not one.
std::optional<std::string> canonicalAddress(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) {
    return std::nullopt;
  }
  const std::string buffer(text);
  unsigned char bytes[16] = {};
  char out[INET6_ADDRSTRLEN] = {};
  if (inet_pton(AF_INET, buffer.c_str(), bytes) == 1) {
    inet_ntop(AF_INET, bytes, out, sizeof out);
    return std::string(out);
  }
  if (inet_pton(AF_INET6, buffer.c_str(), bytes) == 1) {
    inet_ntop(AF_INET6, bytes, out, sizeof out);
    return std::string(out);
  }
  return std::nullopt;
}

// The walk shared by both headers: `hops` in arrival order, nullopt for a hop that is not an
// address.
std::string walk(const std::string& peer_ip, const std::vector<std::optional<std::string>>& hops,
                 const std::vector<sdk::Cidr>& trusted_proxies) {
  std::string last_good = peer_ip;
  const std::size_t stop = hops.size() > kMaxHops ? hops.size() - kMaxHops : 0;
  for (std::size_t i = hops.size(); i > stop; --i) {
    const std::optional<std::string>& hop = hops[i - 1];
    if (!hop) {
      return last_good;
    }
    last_good = *hop;
    if (!isTrusted(last_good, trusted_proxies)) {
      return last_good;
    }
  }
  return last_good; // every hop was trusted: the leftmost is the best we know
}

bool isTokenChar(char c) {
  // RFC 9110 tchar.
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool isOws(char c) {
  return c == ' ' || c == '\t';
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
  std::vector<std::optional<std::string>> hops;
  std::string_view list = *x_forwarded_for;
  std::size_t begin = 0;
  while (true) {
    const std::size_t comma = list.find(',', begin);
    std::string_view entry =
        trimOws(list.substr(begin, comma == std::string_view::npos ? std::string_view::npos : comma - begin));
    // A bare address parses as a single-host range; anything with a '/' is not an address.
    hops.push_back(entry.find('/') == std::string_view::npos ? canonicalAddress(entry) : std::nullopt);
    if (comma == std::string_view::npos) {
      break;
    }
    begin = comma + 1;
  }
  return walk(peer_ip, hops, trusted_proxies);
}

std::optional<std::vector<std::string>> forwardedForValues(std::string_view text) {
  std::vector<std::string> values;
  std::string current_for;
  bool element_has_content = false;
  std::size_t i = 0;
  auto skipOws = [&] {
    while (i < text.size() && isOws(text[i])) {
      ++i;
    }
  };
  while (true) {
    skipOws();
    if (i < text.size() && text[i] != ',' && text[i] != ';') {
      // name=value
      const std::size_t name_begin = i;
      while (i < text.size() && isTokenChar(text[i])) {
        ++i;
      }
      const std::string_view name = text.substr(name_begin, i - name_begin);
      if (name.empty() || i >= text.size() || text[i] != '=') {
        return std::nullopt;
      }
      ++i;
      std::string value;
      if (i < text.size() && text[i] == '"') {
        ++i;
        bool closed = false;
        while (i < text.size()) {
          char c = text[i++];
          if (c == '\\') {
            if (i >= text.size()) {
              return std::nullopt;
            }
            value.push_back(text[i++]);
          } else if (c == '"') {
            closed = true;
            break;
          } else {
            value.push_back(c);
          }
        }
        if (!closed) {
          return std::nullopt;
        }
      } else {
        const std::size_t value_begin = i;
        while (i < text.size() && isTokenChar(text[i])) {
          ++i;
        }
        value = std::string(text.substr(value_begin, i - value_begin));
        if (value.empty()) {
          return std::nullopt;
        }
      }
      if (http::equalsIgnoreCase(name, "for")) {
        if (!current_for.empty()) {
          return std::nullopt; // two for= in one element: ambiguous
        }
        current_for = value.empty() ? std::string("\x01") : value;
      }
      element_has_content = true;
      skipOws();
    }
    if (i >= text.size() || text[i] == ',') {
      if (element_has_content || i < text.size()) {
        values.push_back(current_for == "\x01" ? std::string() : current_for);
      }
      current_for.clear();
      element_has_content = false;
      if (i >= text.size()) {
        break;
      }
      ++i;
      continue;
    }
    if (text[i] == ';') {
      ++i;
      continue;
    }
    return std::nullopt;
  }
  return values;
}

std::optional<std::string> forwardedNodeAddress(std::string_view value) {
  if (!value.empty() && value.front() == '[') {
    const std::size_t close = value.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    std::string_view rest = value.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') {
      return std::nullopt;
    }
    std::string_view inside = value.substr(1, close - 1);
    if (inside.find(':') == std::string_view::npos) {
      return std::nullopt; // RFC 7239: brackets hold IPv6 only
    }
    return canonicalAddress(inside);
  }
  // IPv4, optionally with ":port" or ":_obfport"; a bare IPv6 (unbracketed) is ambiguous with a
  // port, so it is not accepted.
  const std::size_t colon = value.find(':');
  if (colon != std::string_view::npos && value.find(':', colon + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view node = value.substr(0, colon);
  if (node.find('.') == std::string_view::npos) {
    return std::nullopt; // "unknown", "_hidden", empty
  }
  unsigned char bytes[4] = {};
  const std::string buffer(node);
  if (inet_pton(AF_INET, buffer.c_str(), bytes) != 1) {
    return std::nullopt;
  }
  return canonicalAddress(node);
}

std::string resolveForwardedClient(const std::string& peer_ip, const std::string& forwarded,
                                   const std::vector<sdk::Cidr>& trusted_proxies) {
  if (trusted_proxies.empty() || !isTrusted(peer_ip, trusted_proxies)) {
    return peer_ip;
  }
  std::optional<std::vector<std::string>> values = forwardedForValues(forwarded);
  if (!values) {
    return peer_ip; // a header that does not parse says nothing we can believe
  }
  std::vector<std::optional<std::string>> hops;
  hops.reserve(values->size());
  for (const std::string& value : *values) {
    hops.push_back(forwardedNodeAddress(value));
  }
  return walk(peer_ip, hops, trusted_proxies);
}

ClientAddress resolveClientAddress(const std::string& peer_ip,
                                   const std::vector<std::pair<std::string, std::string>>& headers,
                                   const std::vector<sdk::Cidr>& trusted_proxies) {
  ClientAddress out;
  out.ip = peer_ip;
  if (trusted_proxies.empty() || !isTrusted(peer_ip, trusted_proxies)) {
    return out;
  }
  std::optional<std::string> xff;
  std::optional<std::string> forwarded;
  auto append = [](std::optional<std::string>& joined, const std::string& line) {
    if (!joined) {
      joined = line;
    } else {
      joined->append(", ").append(line);
    }
  };
  for (const auto& [name, value] : headers) {
    if (http::equalsIgnoreCase(name, "X-Forwarded-For")) {
      append(xff, value);
    } else if (http::equalsIgnoreCase(name, "Forwarded")) {
      append(forwarded, value);
    }
  }
  if (xff && forwarded) {
    std::string a = resolveClientIp(peer_ip, xff, trusted_proxies);
    std::string b = resolveForwardedClient(peer_ip, *forwarded, trusted_proxies);
    if (a != b) {
      out.conflict = true;
      return out;
    }
    out.ip = std::move(a);
  } else if (xff) {
    out.ip = resolveClientIp(peer_ip, xff, trusted_proxies);
  } else if (forwarded) {
    out.ip = resolveForwardedClient(peer_ip, *forwarded, trusted_proxies);
  }
  return out;
}

} // namespace bambuddy::auth
