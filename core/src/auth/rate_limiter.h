// Exact sliding-window rate limiter: for each key, at most `limit` requests are accepted in any
// rolling window (60 s by default). Each key keeps the timestamps of its accepted requests in a
// ring no larger than its limit, so the count is exact rather than an estimate.
//
// Thread-safe: keys are spread over 64 shards, each with its own mutex, so callers with different
// keys rarely contend. Memory stays bounded: every shard drops keys with nothing left in the
// window every few hundred calls (and sweep() does it on demand), and the table never holds more
// than about max_keys keys. When a new key arrives at a full shard that has no idle key to drop,
// the least recently used key of that shard is evicted: its history is forgotten, so that one key
// may get up to `limit` extra requests in the current window. That is the price of bounded memory
// under a flood of distinct keys; the alternative (refusing new keys) would lock out every newcomer.
//
// The clock is passed in (epoch ms). If it goes backwards by less than a window, a key's clock is
// held at its newest timestamp; by more than a window, the key starts afresh.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace bambuddy::auth {

class SlidingWindowLimiter {
public:
  struct Decision {
    bool allowed = false;
    uint32_t limit = 0;
    uint32_t remaining = 0;    // accepted requests still possible right now
    int64_t reset_epoch_s = 0; // when the oldest counted request leaves the window (rounded up)
    int64_t reset_after_s = 0; // the same as a delay from now (rounded up; 0 when nothing counted)
    int64_t retry_after_s = 0; // when !allowed: seconds until one more is accepted (>= 1)
  };

  // window_ms >= 1 and max_keys >= 1, else std::invalid_argument.
  explicit SlidingWindowLimiter(int64_t window_ms = 60000, std::size_t max_keys = 100000);
  ~SlidingWindowLimiter();
  SlidingWindowLimiter(const SlidingWindowLimiter&) = delete;
  SlidingWindowLimiter& operator=(const SlidingWindowLimiter&) = delete;

  // Counts one request for `key` if fewer than `limit` were accepted in the window ending at
  // now_ms. A limit of 0 refuses everything (retry after one window).
  Decision tryAcquire(const std::string& key, uint32_t limit, int64_t now_ms);

  // The decision tryAcquire would make, without counting anything or creating the key.
  Decision peek(const std::string& key, uint32_t limit, int64_t now_ms) const;

  // Keys currently held (idle ones included until swept).
  std::size_t size() const;

  // Drops every key with nothing left in the window.
  void sweep(int64_t now_ms);

  int64_t windowMs() const { return window_ms_; }

private:
  struct Entry;
  struct Shard;

  Shard& shardFor(const std::string& key) const;
  void sweepShard(Shard& shard, int64_t now_ms);
  Decision decide(const Entry* entry, uint32_t limit, int64_t now_ms, bool acquire) const;

  static constexpr std::size_t kShards = 64;
  const int64_t window_ms_;
  const std::size_t max_keys_per_shard_;
  std::unique_ptr<std::array<Shard, kShards>> shards_;
};

} // namespace bambuddy::auth
