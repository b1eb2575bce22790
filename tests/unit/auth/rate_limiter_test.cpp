// SlidingWindowLimiter: exact counts over a rolling window, reset/retry values, threads, memory.
#include "auth/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace bambuddy::auth {
namespace rate_limiter_test {

constexpr int64_t kT0 = 1705329000000; // 2024-01-15T14:30:00Z, a whole second

TEST(RateLimiter, AcceptsExactlyTheLimitThenRefuses) {
  SlidingWindowLimiter limiter;
  for (uint32_t i = 0; i < 3; ++i) {
    auto d = limiter.tryAcquire("k", 3, kT0 + i);
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.limit, 3u);
    EXPECT_EQ(d.remaining, 2 - i);
  }
  auto d = limiter.tryAcquire("k", 3, kT0 + 10);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.remaining, 0u);
  EXPECT_EQ(d.retry_after_s, 60);
  EXPECT_EQ(d.reset_epoch_s, kT0 / 1000 + 60);
  EXPECT_EQ(limiter.tryAcquire("other", 3, kT0 + 10).remaining, 2u) << "keys are independent";
}

TEST(RateLimiter, WindowSlidesOneRequestAtATime) {
  SlidingWindowLimiter limiter;
  ASSERT_TRUE(limiter.tryAcquire("k", 2, kT0).allowed);
  ASSERT_TRUE(limiter.tryAcquire("k", 2, kT0 + 30000).allowed);
  EXPECT_FALSE(limiter.tryAcquire("k", 2, kT0 + 59999).allowed);
  // At t0+60 s the first request leaves: exactly one slot opens.
  auto d = limiter.tryAcquire("k", 2, kT0 + 60000);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 0u);
  auto refused = limiter.tryAcquire("k", 2, kT0 + 60001);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_s, 30); // the t0+30 s request leaves at t0+90 s
  EXPECT_TRUE(limiter.tryAcquire("k", 2, kT0 + 90000).allowed);
}

TEST(RateLimiter, NeverMoreThanLimitInAnyRollingWindow) {
  SlidingWindowLimiter limiter(1000);
  std::vector<int64_t> accepted;
  for (int64_t t = 0; t < 10000; t += 7) {
    if (limiter.tryAcquire("k", 5, kT0 + t).allowed) {
      accepted.push_back(t);
    }
  }
  for (std::size_t i = 5; i < accepted.size(); ++i) {
    EXPECT_GE(accepted[i] - accepted[i - 5], 1000) << "six accepted within one window at " << accepted[i];
  }
  EXPECT_GE(accepted.size(), 45u); // and the budget is really used
}

TEST(RateLimiter, ResetAndRetryAfterRoundUp) {
  SlidingWindowLimiter limiter;
  auto first = limiter.tryAcquire("k", 1, kT0 + 400);
  EXPECT_TRUE(first.allowed);
  EXPECT_EQ(first.reset_epoch_s, kT0 / 1000 + 61); // t0+60.4 s rounds up
  EXPECT_EQ(first.reset_after_s, 60);
  auto refused = limiter.tryAcquire("k", 1, kT0 + 59500);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_s, 1); // 0.9 s left rounds up to 1
  EXPECT_EQ(refused.reset_after_s, 1);
  auto almost = limiter.tryAcquire("k", 1, kT0 + 60399);
  EXPECT_FALSE(almost.allowed);
  EXPECT_EQ(almost.retry_after_s, 1); // never 0
}

TEST(RateLimiter, PeekDoesNotCount) {
  SlidingWindowLimiter limiter;
  EXPECT_TRUE(limiter.peek("k", 1, kT0).allowed);
  EXPECT_EQ(limiter.size(), 0u);
  ASSERT_TRUE(limiter.tryAcquire("k", 1, kT0).allowed);
  auto p = limiter.peek("k", 1, kT0 + 1);
  EXPECT_FALSE(p.allowed);
  EXPECT_EQ(p.retry_after_s, 60);
  EXPECT_TRUE(limiter.peek("k", 1, kT0 + 60000).allowed);
}

TEST(RateLimiter, ZeroLimitRefusesEverything) {
  SlidingWindowLimiter limiter;
  auto d = limiter.tryAcquire("k", 0, kT0);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_s, 60);
  EXPECT_EQ(limiter.size(), 0u);
}

TEST(RateLimiter, LoweredLimitKeepsTheNewest) {
  SlidingWindowLimiter limiter;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(limiter.tryAcquire("k", 10, kT0 + i * 1000).allowed);
  }
  auto d = limiter.tryAcquire("k", 3, kT0 + 10000);
  EXPECT_FALSE(d.allowed);
  // The newest three are t0+7..9 s; the next slot opens when t0+7 s leaves.
  EXPECT_EQ(d.retry_after_s, 57);
  EXPECT_TRUE(limiter.tryAcquire("k", 20, kT0 + 10000).allowed) << "raising the limit again works";
}

TEST(RateLimiter, ClockGoingBackIsBounded) {
  SlidingWindowLimiter limiter;
  ASSERT_TRUE(limiter.tryAcquire("k", 1, kT0).allowed);
  EXPECT_FALSE(limiter.tryAcquire("k", 1, kT0 - 5000).allowed);   // small step back: still counted
  EXPECT_TRUE(limiter.tryAcquire("k", 1, kT0 - 3600000).allowed); // huge step back: fresh start
}

TEST(RateLimiter, ConcurrentAttemptsAreExact) {
  SlidingWindowLimiter limiter;
  std::atomic<int> allowed{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) {
        std::this_thread::yield();
      }
      // 150 attempts in all: 19 each for six threads, 18 each for the last two.
      const int attempts = t < 6 ? 19 : 18;
      for (int i = 0; i < attempts; ++i) {
        if (limiter.tryAcquire("shared", 100, kT0 + i).allowed) {
          allowed.fetch_add(1);
        }
      }
    });
  }
  go = true;
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(allowed.load(), 100);
}

TEST(RateLimiter, IdleKeysAreSweptAndMemoryIsBounded) {
  SlidingWindowLimiter limiter(60000, 640);
  for (int i = 0; i < 5000; ++i) {
    limiter.tryAcquire("ip-" + std::to_string(i), 5, kT0 + i);
  }
  EXPECT_LE(limiter.size(), 640u + 64u);
  limiter.sweep(kT0 + 5000 + 60000);
  EXPECT_EQ(limiter.size(), 0u);

  // Amortized sweeping: idle keys vanish as traffic goes on, without an explicit sweep().
  SlidingWindowLimiter amortized(1000, 1000000);
  for (int i = 0; i < 1000; ++i) {
    amortized.tryAcquire("old-" + std::to_string(i), 5, kT0);
  }
  for (int i = 0; i < 1000 * 200; ++i) {
    amortized.tryAcquire("new-" + std::to_string(i % 1000), 5, kT0 + 5000);
  }
  EXPECT_EQ(amortized.size(), 1000u) << "every old key swept, every live one kept";
}

TEST(RateLimiter, FullTableEvictsTheLeastRecentlyUsed) {
  SlidingWindowLimiter limiter(60000, 64); // one key per shard
  ASSERT_TRUE(limiter.tryAcquire("busy", 1, kT0).allowed);
  for (int i = 0; i < 2000; ++i) {
    limiter.tryAcquire("flood-" + std::to_string(i), 1, kT0 + 1 + i);
  }
  EXPECT_LE(limiter.size(), 64u);
  // "busy" was evicted at some point by a newer key of its shard: it starts afresh (documented).
  EXPECT_TRUE(limiter.tryAcquire("busy", 1, kT0 + 3000).allowed);
}

TEST(RateLimiter, RejectsNonsense) {
  EXPECT_THROW(SlidingWindowLimiter(0), std::invalid_argument);
  EXPECT_THROW(SlidingWindowLimiter(1000, 0), std::invalid_argument);
}

} // namespace rate_limiter_test
} // namespace bambuddy::auth
