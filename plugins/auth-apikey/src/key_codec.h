// API key text, its SHA-256 digest and the hex form the digest is stored in.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace bambuddy::auth_apikey {

// "bb_" + 43 unpadded base64url characters (32 random bytes).
inline constexpr std::string_view kKeyPrefix = "bb_";
inline constexpr size_t kKeyRandomChars = 43;
inline constexpr size_t kKeyLength = 3 + kKeyRandomChars;
// Shown in lists so an operator can tell keys apart: "bb_" + 5 characters.
inline constexpr size_t kDisplayPrefixLength = 8;
inline constexpr size_t kLast4Length = 4;

using Digest = std::array<unsigned char, 32>;

// A fresh key from RAND_bytes. Throws sdk::Error(BB_ERR_INTERNAL) when the RNG fails.
std::string generateKey();

// True for exactly "bb_" + 43 base64url characters ([A-Za-z0-9_-]).
bool isWellFormedKey(std::string_view key);

// SHA-256 of the key text, one shot, no allocation.
Digest digestOf(std::string_view key);

// Constant-time equality (CRYPTO_memcmp).
bool digestEquals(const Digest& a, const Digest& b);

std::string toHex(const Digest& digest);
std::optional<Digest> digestFromHex(std::string_view hex);

// Hash table support. The digest is already uniformly distributed, so its first bytes are the hash.
struct DigestHash {
  size_t operator()(const Digest& d) const noexcept {
    size_t h;
    std::memcpy(&h, d.data(), sizeof h);
    return h;
  }
};
struct DigestEqual {
  bool operator()(const Digest& a, const Digest& b) const noexcept { return digestEquals(a, b); }
};

} // namespace bambuddy::auth_apikey
