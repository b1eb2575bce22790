#include "key_codec.h"

#include <bambuddy/sdk.hpp>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace bambuddy::auth_apikey {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  if (c == '-') {
    return 62;
  }
  if (c == '_') {
    return 63;
  }
  return -1;
}

} // namespace

std::string generateKey() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    throw sdk::Error(BB_ERR_INTERNAL, "rng_failed", "the system random generator failed");
  }
  std::string key(kKeyPrefix);
  key.reserve(kKeyLength);
  // 32 bytes = 10 groups of 3 bytes (40 characters) + 2 bytes (3 characters), no padding.
  size_t i = 0;
  for (; i + 3 <= sizeof bytes; i += 3) {
    uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    key += kAlphabet[(v >> 18) & 63];
    key += kAlphabet[(v >> 12) & 63];
    key += kAlphabet[(v >> 6) & 63];
    key += kAlphabet[v & 63];
  }
  uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8);
  key += kAlphabet[(v >> 18) & 63];
  key += kAlphabet[(v >> 12) & 63];
  key += kAlphabet[(v >> 6) & 63];
  OPENSSL_cleanse(bytes, sizeof bytes);
  return key;
}

bool isWellFormedKey(std::string_view key) {
  if (key.size() != kKeyLength || key.substr(0, kKeyPrefix.size()) != kKeyPrefix) {
    return false;
  }
  for (size_t i = kKeyPrefix.size(); i < key.size(); ++i) {
    if (base64UrlValue(key[i]) < 0) {
      return false;
    }
  }
  return true;
}

Digest digestOf(std::string_view key) {
  // The one-shot SHA256() skips EVP's per-call algorithm fetch, which matters on the hot path.
  Digest d{};
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), d.data());
  return d;
}

bool digestEquals(const Digest& a, const Digest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string toHex(const Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digest.size() * 2);
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

std::optional<Digest> digestFromHex(std::string_view hex) {
  Digest d{};
  if (hex.size() != d.size() * 2) {
    return std::nullopt;
  }
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    return -1;
  };
  for (size_t i = 0; i < d.size(); ++i) {
    int hi = nibble(hex[2 * i]);
    int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    d[i] = static_cast<unsigned char>((hi << 4) | lo);
  }
  return d;
}

} // namespace bambuddy::auth_apikey
