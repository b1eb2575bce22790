// Exponential reconnect delays with jitter.
#pragma once

#include <cstdint>
#include <random>

namespace bambuddy::printer_bambu {

class Backoff {
public:
  // Delays start at `min_ms` and double per failure up to `max_ms` (max_ms >= min_ms >= 1).
  Backoff(int64_t min_ms, int64_t max_ms, uint64_t seed);

  // The delay before the next attempt: the current step with +/-20 % jitter, kept inside
  // [min_ms, max_ms] so a wrong access code can never cause a tight loop. Advances the step.
  int64_t next();
  // After a good connection the next failure starts again at min_ms.
  void reset() { step_ms_ = min_ms_; }
  int64_t currentStepMs() const { return step_ms_; }

private:
  int64_t min_ms_;
  int64_t max_ms_;
  int64_t step_ms_;
  std::mt19937_64 random_;
};

} // namespace bambuddy::printer_bambu
