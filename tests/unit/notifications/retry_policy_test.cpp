// The retry schedule: delays per attempt, jitter bounds, Retry-After, and the end of the schedule.
#include "notifications/retry_policy.h"

#include <gtest/gtest.h>

#include <random>

namespace bambuddy::notifications {
namespace retry_policy_test {

TEST(RetryPolicy, DefaultScheduleIsTheDocumentedOne) {
  RetryPolicy policy;
  std::vector<int64_t> seconds;
  for (int64_t ms : policy.schedule_ms) {
    seconds.push_back(ms / 1000);
  }
  EXPECT_EQ(seconds, (std::vector<int64_t>{0, 5, 30, 120, 600, 1800, 3600, 10800, 21600, 43200, 86400}));
  EXPECT_EQ(policy.maxAttempts(), 11);
}

TEST(RetryPolicy, MidpointOfTheJitterIsTheScheduledDelay) {
  RetryPolicy policy;
  EXPECT_EQ(policy.delayAfterFailure(1, 0, 0.5), 5000);
  EXPECT_EQ(policy.delayAfterFailure(2, 0, 0.5), 30000);
  EXPECT_EQ(policy.delayAfterFailure(10, 0, 0.5), 86400000);
}

TEST(RetryPolicy, JitterStaysWithinItsBounds) {
  RetryPolicy policy;
  policy.jitter = 0.2;
  EXPECT_EQ(policy.delayAfterFailure(3, 0, 0.0), 96000);  // 120 s * 0.8
  EXPECT_EQ(policy.delayAfterFailure(3, 0, 1.0), 144000); // 120 s * 1.2
  std::mt19937_64 random(42);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  int64_t low = INT64_MAX, high = 0;
  for (int i = 0; i < 10000; ++i) {
    int64_t d = *policy.delayAfterFailure(3, 0, unit(random));
    ASSERT_GE(d, 96000);
    ASSERT_LE(d, 144000);
    low = std::min(low, d);
    high = std::max(high, d);
  }
  EXPECT_LT(low, 100000) << "the jitter really spreads the delays";
  EXPECT_GT(high, 140000);
}

TEST(RetryPolicy, NoJitterMeansTheExactSchedule) {
  RetryPolicy policy;
  policy.jitter = 0.0;
  EXPECT_EQ(policy.delayAfterFailure(1, 0, 0.0), 5000);
  EXPECT_EQ(policy.delayAfterFailure(1, 0, 0.999), 5000);
}

TEST(RetryPolicy, RetryAfterReplacesTheScheduleUpToTheCap) {
  RetryPolicy policy;
  EXPECT_EQ(policy.delayAfterFailure(1, 2000, 0.0), 2000);     // sooner than scheduled
  EXPECT_EQ(policy.delayAfterFailure(1, 900000, 0.0), 900000); // later than scheduled
  EXPECT_EQ(policy.delayAfterFailure(1, kMaxRetryAfterMs * 3, 0.5), kMaxRetryAfterMs);
}

TEST(RetryPolicy, ScheduleUsedUpMeansNoMoreAttempts) {
  RetryPolicy policy;
  policy.schedule_ms = {0, 200, 500};
  EXPECT_TRUE(policy.delayAfterFailure(1, 0, 0.5).has_value());
  EXPECT_TRUE(policy.delayAfterFailure(2, 0, 0.5).has_value());
  EXPECT_FALSE(policy.delayAfterFailure(3, 0, 0.5).has_value());
  EXPECT_FALSE(policy.delayAfterFailure(3, 1000, 0.5).has_value()) << "Retry-After does not add attempts";
  EXPECT_FALSE(policy.delayAfterFailure(-1, 0, 0.5).has_value());
}

} // namespace retry_policy_test
} // namespace bambuddy::notifications
