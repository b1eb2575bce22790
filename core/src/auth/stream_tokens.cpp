#include "auth/stream_tokens.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace bambuddy::auth {

namespace {

constexpr const char* kPrefix = "bbst_";
constexpr size_t kPrefixLength = 5;
constexpr size_t kHexDigits = 32;

std::string hex(const unsigned char* bytes, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 0x0f];
  }
  return out;
}

// SHA-256 of the token: the table never holds a usable token.
std::string digestOf(const std::string& token) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(token.data(), token.size(), out, &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  return std::string(reinterpret_cast<const char*>(out), length);
}

} // namespace

bool looksLikeStreamToken(const std::string& text) {
  if (text.size() != kPrefixLength + kHexDigits || text.compare(0, kPrefixLength, kPrefix) != 0) {
    return false;
  }
  for (size_t i = kPrefixLength; i < text.size(); ++i) {
    const char c = text[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

StreamTokens::StreamTokens(std::function<int64_t()> clock_ms, int64_t ttl_ms, size_t max_tokens)
    : clock_ms_(std::move(clock_ms)), ttl_ms_(ttl_ms), max_tokens_(max_tokens) {}

void StreamTokens::expireLocked(int64_t now_ms) {
  for (auto it = by_digest_.begin(); it != by_digest_.end();) {
    it = it->second.expires_ms <= now_ms ? by_digest_.erase(it) : std::next(it);
  }
}

std::optional<StreamTokens::Issued> StreamTokens::issue(const http::Principal& principal) {
  unsigned char random[kHexDigits / 2];
  if (RAND_bytes(random, sizeof random) != 1) {
    throw std::runtime_error("no random bytes for a stream token");
  }
  Issued issued{kPrefix + hex(random, sizeof random), ttl_ms_};
  const int64_t now = clock_ms_();
  std::lock_guard<std::mutex> lock(mutex_);
  if (by_digest_.size() >= max_tokens_) {
    expireLocked(now);
    if (by_digest_.size() >= max_tokens_) {
      return std::nullopt;
    }
  }
  by_digest_[digestOf(issued.token)] = Entry{principal, now + ttl_ms_};
  return issued;
}

std::optional<http::Principal> StreamTokens::redeem(const std::string& token) {
  if (!looksLikeStreamToken(token)) {
    return std::nullopt;
  }
  const std::string digest = digestOf(token);
  const int64_t now = clock_ms_();
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = by_digest_.find(digest);
  if (it == by_digest_.end()) {
    return std::nullopt;
  }
  Entry entry = std::move(it->second);
  by_digest_.erase(it); // single use, also when it just expired
  if (entry.expires_ms <= now) {
    return std::nullopt;
  }
  return entry.principal;
}

size_t StreamTokens::outstanding() {
  std::lock_guard<std::mutex> lock(mutex_);
  expireLocked(clock_ms_());
  return by_digest_.size();
}

} // namespace bambuddy::auth
