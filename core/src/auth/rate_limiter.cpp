#include "auth/rate_limiter.h"

#include <algorithm>
#include <functional>
#include <stdexcept>

namespace bambuddy::auth {

namespace {

// A shard sweeps its idle keys once every this many calls, so no call pays for a full sweep
// often and idle keys cannot pile up.
constexpr uint32_t kSweepEveryCalls = 512;

int64_t ceilDiv(int64_t value, int64_t divisor) {
  if (value <= 0) {
    return value / divisor; // truncates toward zero, which is the ceiling for negatives
  }
  return (value + divisor - 1) / divisor;
}

} // namespace

struct SlidingWindowLimiter::Entry {
  // Timestamps of accepted requests, oldest at `head`; grows on demand up to the key's limit.
  std::vector<int64_t> ring;
  std::size_t head = 0;
  std::size_t count = 0;
  int64_t newest_ms = 0;    // newest accepted timestamp
  int64_t last_seen_ms = 0; // newest call of any outcome, for eviction

  int64_t at(std::size_t i) const { return ring[(head + i) % ring.size()]; }
  void popFront() {
    head = (head + 1) % ring.size();
    --count;
    if (count == 0) {
      head = 0;
    }
  }
  void push(int64_t t, std::size_t limit) {
    if (count == ring.size()) {
      std::rotate(ring.begin(), ring.begin() + static_cast<std::ptrdiff_t>(head), ring.end());
      head = 0;
      ring.resize(std::min<std::size_t>(std::max<std::size_t>(4, ring.size() * 2), limit));
    }
    ring[(head + count) % ring.size()] = t;
    ++count;
    newest_ms = t;
  }
  void clear() {
    head = 0;
    count = 0;
  }
};

struct alignas(64) SlidingWindowLimiter::Shard {
  mutable std::mutex mutex;
  std::unordered_map<std::string, Entry> entries;
  uint32_t calls = 0;
};

SlidingWindowLimiter::SlidingWindowLimiter(int64_t window_ms, std::size_t max_keys)
    : window_ms_(window_ms),
      max_keys_per_shard_(std::max<std::size_t>(1, (max_keys + kShards - 1) / kShards)),
      shards_(std::make_unique<std::array<Shard, kShards>>()) {
  if (window_ms < 1) {
    throw std::invalid_argument("rate limiter window must be at least 1 ms, got " +
                                std::to_string(window_ms));
  }
  if (max_keys < 1) {
    throw std::invalid_argument("rate limiter needs room for at least one key");
  }
}

SlidingWindowLimiter::~SlidingWindowLimiter() = default;

SlidingWindowLimiter::Shard& SlidingWindowLimiter::shardFor(const std::string& key) const {
  return (*shards_)[std::hash<std::string>{}(key) % kShards];
}

void SlidingWindowLimiter::sweepShard(Shard& shard, int64_t now_ms) {
  for (auto it = shard.entries.begin(); it != shard.entries.end();) {
    const Entry& e = it->second;
    if (e.count == 0 || (e.newest_ms + window_ms_ <= now_ms && e.newest_ms <= now_ms)) {
      it = shard.entries.erase(it);
    } else {
      ++it;
    }
  }
}

SlidingWindowLimiter::Decision SlidingWindowLimiter::decide(const Entry* entry, uint32_t limit,
                                                            int64_t now_ms, bool allowed) const {
  Decision d;
  d.allowed = allowed;
  d.limit = limit;
  // Requests already outside the window are skipped here too, so peek() needs no mutation.
  std::size_t first = 0;
  std::size_t counted = 0;
  if (entry != nullptr) {
    while (first < entry->count && entry->at(first) + window_ms_ <= now_ms) {
      ++first;
    }
    counted = entry->count - first;
  }
  d.remaining = counted >= limit ? 0 : static_cast<uint32_t>(limit - counted);
  if (counted == 0) {
    d.reset_epoch_s = ceilDiv(now_ms, 1000);
    d.reset_after_s = 0;
  } else {
    const int64_t reset_ms = entry->at(first) + window_ms_;
    d.reset_epoch_s = ceilDiv(reset_ms, 1000);
    d.reset_after_s = std::max<int64_t>(0, ceilDiv(reset_ms - now_ms, 1000));
  }
  if (!allowed) {
    int64_t free_at_ms = now_ms + window_ms_; // limit 0: nothing is ever accepted
    if (limit > 0 && counted >= limit) {
      // One more is accepted once all but limit-1 of the counted requests have left.
      free_at_ms = entry->at(first + (counted - limit)) + window_ms_;
    }
    d.retry_after_s = std::max<int64_t>(1, ceilDiv(free_at_ms - now_ms, 1000));
    if (limit == 0) {
      d.reset_epoch_s = ceilDiv(free_at_ms, 1000);
      d.reset_after_s = d.retry_after_s;
    }
  }
  return d;
}

SlidingWindowLimiter::Decision SlidingWindowLimiter::tryAcquire(const std::string& key, uint32_t limit,
                                                                int64_t now_ms) {
  Shard& shard = shardFor(key);
  std::lock_guard<std::mutex> lock(shard.mutex);
  if (++shard.calls >= kSweepEveryCalls) {
    shard.calls = 0;
    sweepShard(shard, now_ms);
  }
  auto it = shard.entries.find(key);
  if (it == shard.entries.end()) {
    if (limit == 0) {
      return decide(nullptr, 0, now_ms, false);
    }
    if (shard.entries.size() >= max_keys_per_shard_) {
      sweepShard(shard, now_ms);
    }
    if (shard.entries.size() >= max_keys_per_shard_) {
      auto oldest =
          std::min_element(shard.entries.begin(), shard.entries.end(), [](const auto& a, const auto& b) {
            return a.second.last_seen_ms < b.second.last_seen_ms;
          });
      shard.entries.erase(oldest);
    }
    it = shard.entries.emplace(key, Entry{}).first;
  }
  Entry& e = it->second;
  if (e.count > 0 && now_ms < e.newest_ms) {
    if (e.newest_ms - now_ms >= window_ms_) {
      e.clear(); // the clock jumped back by more than a window: nothing known is meaningful
    } else {
      now_ms = e.newest_ms;
    }
  }
  e.last_seen_ms = now_ms;
  while (e.count > 0 && e.at(0) + window_ms_ <= now_ms) {
    e.popFront();
  }
  while (e.count > limit) {
    e.popFront(); // the key's limit was lowered: the newest requests are the ones that matter
  }
  const bool allowed = e.count < limit;
  if (allowed) {
    e.push(now_ms, limit);
  }
  return decide(&e, limit, now_ms, allowed);
}

SlidingWindowLimiter::Decision SlidingWindowLimiter::peek(const std::string& key, uint32_t limit,
                                                          int64_t now_ms) const {
  Shard& shard = shardFor(key);
  std::lock_guard<std::mutex> lock(shard.mutex);
  auto it = shard.entries.find(key);
  const Entry* e = it == shard.entries.end() ? nullptr : &it->second;
  if (e != nullptr && e->count > 0 && now_ms < e->newest_ms) {
    if (e->newest_ms - now_ms >= window_ms_) {
      e = nullptr;
    } else {
      now_ms = e->newest_ms;
    }
  }
  std::size_t counted = 0;
  if (e != nullptr) {
    for (std::size_t i = 0; i < e->count; ++i) {
      if (e->at(i) + window_ms_ > now_ms) {
        ++counted;
      }
    }
  }
  return decide(e, limit, now_ms, counted < limit);
}

std::size_t SlidingWindowLimiter::size() const {
  std::size_t total = 0;
  for (const Shard& shard : *shards_) {
    std::lock_guard<std::mutex> lock(shard.mutex);
    total += shard.entries.size();
  }
  return total;
}

void SlidingWindowLimiter::sweep(int64_t now_ms) {
  for (Shard& shard : *shards_) {
    std::lock_guard<std::mutex> lock(shard.mutex);
    sweepShard(shard, now_ms);
  }
}

} // namespace bambuddy::auth
