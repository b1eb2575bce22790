#include "notifications/retry_policy.h"

#include <algorithm>
#include <cmath>

namespace bambuddy::notifications {

int64_t RetryPolicy::jittered(int64_t delay_ms, double unit_random) const {
  const double j = std::clamp(jitter, 0.0, 1.0);
  const double u = std::clamp(unit_random, 0.0, 1.0);
  const double factor = 1.0 - j + 2.0 * j * u;
  return std::max<int64_t>(0, static_cast<int64_t>(std::llround(static_cast<double>(delay_ms) * factor)));
}

std::optional<int64_t> RetryPolicy::delayAfterFailure(int attempts_made, int64_t retry_after_ms,
                                                      double unit_random) const {
  if (attempts_made < 0 || attempts_made >= maxAttempts()) {
    return std::nullopt;
  }
  if (retry_after_ms > 0) {
    return std::min(retry_after_ms, kMaxRetryAfterMs);
  }
  return jittered(schedule_ms[static_cast<size_t>(attempts_made)], unit_random);
}

} // namespace bambuddy::notifications
