// Reconnect delays: doubling, jitter, bounds and reset.
#include "backoff.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace bambuddy::printer_bambu::test {
namespace backoff_test {

TEST(BambuBackoff, DoublesWithJitterUpToTheMaximum) {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    Backoff b(1000, 60000, seed);
    int64_t step = 1000;
    for (int i = 0; i < 12; ++i) {
      int64_t d = b.next();
      EXPECT_GE(d, std::max<int64_t>(1000, step * 8 / 10)) << seed << " " << i;
      EXPECT_LE(d, std::min<int64_t>(60000, step * 12 / 10)) << seed << " " << i;
      step = std::min<int64_t>(60000, step * 2);
    }
    EXPECT_EQ(b.currentStepMs(), 60000);
  }
}

TEST(BambuBackoff, JitterSpreadsPrinters) {
  // 100 printers failing together must not retry in lockstep.
  std::vector<int64_t> first;
  for (uint64_t seed = 0; seed < 100; ++seed) {
    Backoff b(1000, 60000, seed);
    b.next();
    first.push_back(b.next()); // second step: 2000 +/- 20 %
  }
  auto [lo, hi] = std::minmax_element(first.begin(), first.end());
  EXPECT_GE(*lo, 1600);
  EXPECT_LE(*hi, 2400);
  EXPECT_GT(*hi - *lo, 400);
}

TEST(BambuBackoff, ResetStartsOverAndMinimumHolds) {
  Backoff b(50, 400, 7);
  for (int i = 0; i < 10; ++i) {
    b.next();
  }
  EXPECT_EQ(b.currentStepMs(), 400);
  b.reset();
  EXPECT_EQ(b.currentStepMs(), 50);
  int64_t d = b.next();
  EXPECT_GE(d, 50);
  EXPECT_LE(d, 60);
  Backoff tiny(0, 0, 1); // never a zero delay, even if misconfigured
  EXPECT_GE(tiny.next(), 1);
}

} // namespace backoff_test
} // namespace bambuddy::printer_bambu::test
