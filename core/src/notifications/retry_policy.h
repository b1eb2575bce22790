// When to try a delivery again: a schedule of delays (the first entry is the delay before the first
// attempt, normally 0), each spread by a random jitter so deliveries that failed together (a
// receiver restart) do not all come back at the same instant, and a receiver's Retry-After.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace bambuddy::notifications {

// The longest wait a receiver's Retry-After can impose; a larger value is cut to this.
inline constexpr int64_t kMaxRetryAfterMs = int64_t{24} * 3600 * 1000;

struct RetryPolicy {
  // Delay before attempt 1, 2, ... in ms; attempts beyond the list are not made.
  std::vector<int64_t> schedule_ms{0,       5000,     30000,    120000,   600000,  1800000,
                                   3600000, 10800000, 21600000, 43200000, 86400000};
  double jitter = 0.2; // each scheduled delay is multiplied by a factor in [1 - jitter, 1 + jitter]

  int maxAttempts() const { return static_cast<int>(schedule_ms.size()); }

  // The wait before the next attempt after `attempts_made` attempts failed, or nullopt when the
  // schedule is used up. `retry_after_ms` > 0 (the receiver's Retry-After) replaces the
  // scheduled delay, capped at kMaxRetryAfterMs: the receiver knows best when it is ready.
  // `unit_random` is a uniform number in [0, 1) (injected so the bounds are testable).
  std::optional<int64_t> delayAfterFailure(int attempts_made, int64_t retry_after_ms,
                                           double unit_random) const;

  // The jittered form of `delay_ms` for a given `unit_random` in [0, 1).
  int64_t jittered(int64_t delay_ms, double unit_random) const;
};

} // namespace bambuddy::notifications
