#include "backoff.h"

#include <algorithm>

namespace bambuddy::printer_bambu {

Backoff::Backoff(int64_t min_ms, int64_t max_ms, uint64_t seed)
    : min_ms_(std::max<int64_t>(1, min_ms)), max_ms_(std::max(max_ms, std::max<int64_t>(1, min_ms))),
      step_ms_(min_ms_), random_(seed) {}

int64_t Backoff::next() {
  // Jitter spreads the reconnects of many printers after a shared outage (router reboot).
  std::uniform_real_distribution<double> factor(0.8, 1.2);
  int64_t delay = static_cast<int64_t>(static_cast<double>(step_ms_) * factor(random_));
  step_ms_ = std::min(max_ms_, step_ms_ * 2);
  return std::clamp(delay, min_ms_, max_ms_);
}

} // namespace bambuddy::printer_bambu
