// Single-use, short-lived tokens that stand in for an API key on GET /api/v1/events/stream, for
// browsers: EventSource cannot send headers, so the page asks POST /api/v1/auth/stream-token (with
// its key) for a token and opens the stream with `?token=`.
//
// A token names the principal it was issued to as it was at that moment (permissions, printers,
// limits) and is good for one stream opened within the lifetime (60 s). Only a digest of each token
// is kept, in memory: a restart invalidates every token, which costs a browser one more request.
// Tokens are never logged (the access log leaves query strings out).
#pragma once

#include "http/http_types.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace bambuddy::auth {

class StreamTokens {
public:
  // `clock_ms`: a monotonic clock in ms. At most `max_tokens` unexpired tokens exist at once.
  explicit StreamTokens(std::function<int64_t()> clock_ms, int64_t ttl_ms = 60000, size_t max_tokens = 10000);

  struct Issued {
    std::string token; // "bbst_" + 32 hex digits (128 random bits)
    int64_t ttl_ms = 0;
  };
  // nullopt when max_tokens unexpired tokens are outstanding.
  std::optional<Issued> issue(const http::Principal& principal);

  // The principal of an unexpired, unused token, which is used up by this call; nullopt otherwise.
  std::optional<http::Principal> redeem(const std::string& token);

  size_t outstanding();

private:
  struct Entry {
    http::Principal principal;
    int64_t expires_ms = 0;
  };
  void expireLocked(int64_t now_ms);

  std::function<int64_t()> clock_ms_;
  const int64_t ttl_ms_;
  const size_t max_tokens_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> by_digest_;
};

// True for text shaped like a stream token (the prefix and 32 lowercase hex digits).
bool looksLikeStreamToken(const std::string& text);

} // namespace bambuddy::auth
