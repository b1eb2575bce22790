// SPDX-License-Identifier: MIT
//
// bambuddy/cidr.hpp — IPv4/IPv6 address ranges ("10.0.0.0/8", "fd00::/8", "192.168.1.7") and
// membership tests. Header-only C++17 over inet_pton; used by the server (trusted proxies) and by
// plugins (allow-lists). Not part of the binary ABI.
#pragma once

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace bambuddy::sdk {

class Cidr {
public:
  // Parses "address/prefix" or a bare address (a /32 or /128 range). Host bits below the prefix
  // are masked off, so "10.1.2.3/8" means 10.0.0.0/8. On failure returns nullopt and, when
  // `error` is given, says why ("prefix length 33 exceeds 32 for IPv4").
  static std::optional<Cidr> parse(std::string_view text, std::string* error = nullptr) {
    auto fail = [error](std::string why) -> std::optional<Cidr> {
      if (error != nullptr) {
        *error = std::move(why);
      }
      return std::nullopt;
    };
    if (text.empty()) {
      return fail("empty address");
    }
    std::string_view address = text;
    std::optional<unsigned> prefix;
    const auto slash = text.find('/');
    if (slash != std::string_view::npos) {
      address = text.substr(0, slash);
      std::string_view digits = text.substr(slash + 1);
      if (digits.empty()) {
        return fail("missing prefix length after '/'");
      }
      if (digits.size() > 3) {
        return fail("prefix length '" + std::string(digits) + "' is not a number from 0 to 128");
      }
      unsigned value = 0;
      for (char c : digits) {
        if (c < '0' || c > '9') {
          return fail("prefix length '" + std::string(digits) + "' is not a number");
        }
        value = value * 10 + static_cast<unsigned>(c - '0');
      }
      prefix = value;
    }
    Cidr out;
    bool mapped = false;
    if (!parseAddress(address, out.bytes_, out.v4_, &mapped)) {
      return fail("'" + std::string(address) + "' is not an IPv4 or IPv6 address");
    }
    if (mapped && prefix) {
      // "::ffff:10.0.0.0/104" is the IPv4 range 10.0.0.0/8 written in IPv6 form.
      if (*prefix < 96) {
        return fail("prefix length " + std::to_string(*prefix) +
                    " is below 96 for an IPv4-mapped IPv6 address");
      }
      if (*prefix <= 128) {
        *prefix -= 96;
      } else {
        return fail("prefix length " + std::to_string(*prefix) + " exceeds 128 for IPv6");
      }
    }
    const unsigned max_bits = out.v4_ ? 32u : 128u;
    if (prefix && *prefix > max_bits) {
      return fail("prefix length " + std::to_string(*prefix) + " exceeds " + std::to_string(max_bits) +
                  " for " + (out.v4_ ? "IPv4" : "IPv6"));
    }
    out.prefix_ = prefix ? *prefix : max_bits;
    out.mask();
    return out;
  }

  // True when `ip` (a bare address) lies in the range; false for anything unparsable. An
  // IPv4-mapped IPv6 address (::ffff:1.2.3.4) is treated as the IPv4 address it carries.
  bool contains(std::string_view ip) const {
    std::array<uint8_t, 16> bytes{};
    bool v4 = false;
    if (!parseAddress(ip, bytes, v4) || v4 != v4_) {
      return false;
    }
    unsigned bits = prefix_;
    for (std::size_t i = 0; bits > 0; ++i) {
      const unsigned take = bits >= 8 ? 8u : bits;
      const uint8_t m = static_cast<uint8_t>(0xFFu << (8 - take));
      if ((bytes[i] & m) != bytes_[i]) {
        return false;
      }
      bits -= take;
    }
    return true;
  }

  // Canonical text: the masked network address and the prefix, e.g. "10.0.0.0/8", "fd00::/8".
  std::string str() const {
    char text[INET6_ADDRSTRLEN] = {};
    if (v4_) {
      inet_ntop(AF_INET, bytes_.data(), text, sizeof text);
    } else {
      inet_ntop(AF_INET6, bytes_.data(), text, sizeof text);
    }
    return std::string(text) + "/" + std::to_string(prefix_);
  }

  bool isIpv4() const { return v4_; }
  unsigned prefixLength() const { return prefix_; }

private:
  Cidr() = default;

  // Fills `bytes` (4 used for IPv4, 16 for IPv6); IPv4-mapped IPv6 comes back as IPv4.
  static bool parseAddress(std::string_view text, std::array<uint8_t, 16>& bytes, bool& v4,
                           bool* mapped = nullptr) {
    char buffer[INET6_ADDRSTRLEN + 1];
    if (text.empty() || text.size() >= sizeof buffer) {
      return false;
    }
    std::memcpy(buffer, text.data(), text.size());
    buffer[text.size()] = '\0';
    bytes.fill(0);
    if (inet_pton(AF_INET, buffer, bytes.data()) == 1) {
      v4 = true;
      return true;
    }
    if (inet_pton(AF_INET6, buffer, bytes.data()) != 1) {
      return false;
    }
    static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    if (std::memcmp(bytes.data(), kMapped, sizeof kMapped) == 0) {
      std::memmove(bytes.data(), bytes.data() + 12, 4);
      std::memset(bytes.data() + 4, 0, 12);
      v4 = true;
      if (mapped != nullptr) {
        *mapped = true;
      }
      return true;
    }
    v4 = false;
    return true;
  }

  void mask() {
    unsigned bits = prefix_;
    for (auto& b : bytes_) {
      const unsigned keep = bits >= 8 ? 8u : bits;
      b = keep == 0 ? 0 : static_cast<uint8_t>(b & (0xFFu << (8 - keep)));
      bits -= keep;
    }
  }

  std::array<uint8_t, 16> bytes_{};
  unsigned prefix_ = 0;
  bool v4_ = false;
};

} // namespace bambuddy::sdk
