// The provider-test threads: bounded threads and queue, refusal when full, dropped tasks on stop.
#include "notifications/test_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace bambuddy::notifications {
namespace test_pool_test {

// Blocks tasks until opened.
class Gate {
public:
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    ++waiting_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
  }
  bool waitForWaiting(int n) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(5), [&] { return waiting_ >= n; });
  }
  void open() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int waiting_ = 0;
  bool open_ = false;
};

TEST(TestPoolTest, RunsTasksOnItsOwnThreadsAndRefusesBeyondThreadsPlusQueue) {
  TestPool pool(2, 3);
  Gate gate;
  std::atomic<int> ran{0};
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<bool> on_caller{false};
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(pool.submit(
        [&] {
          on_caller = on_caller || std::this_thread::get_id() == caller;
          gate.wait();
          ++ran;
        },
        nullptr))
        << i;
  }
  ASSERT_TRUE(gate.waitForWaiting(2));
  EXPECT_FALSE(pool.hasRoom());
  EXPECT_FALSE(pool.submit([&] { ++ran; }, nullptr)) << "2 running + 3 waiting is the bound";
  gate.open();
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (ran < 5 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(ran, 5);
  EXPECT_FALSE(on_caller);
  EXPECT_TRUE(pool.hasRoom());
}

TEST(TestPoolTest, StopRunsDroppedForWaitingTasksAndWaitsForRunningOnes) {
  TestPool pool(1, 4);
  Gate gate;
  std::atomic<int> ran{0};
  std::atomic<int> dropped{0};
  ASSERT_TRUE(pool.submit(
      [&] {
        gate.wait();
        ++ran;
      },
      [&] { ++dropped; }));
  ASSERT_TRUE(gate.waitForWaiting(1));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(pool.submit([&] { ++ran; }, [&] { ++dropped; }));
  }
  std::thread opener([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    gate.open();
  });
  pool.stop();
  opener.join();
  EXPECT_EQ(ran, 1) << "the running task finished";
  EXPECT_EQ(dropped, 3);
  EXPECT_FALSE(pool.submit([] {}, nullptr)) << "nothing after stop";
}

TEST(TestPoolTest, AThrowingTaskDoesNotKillItsThread) {
  TestPool pool(1, 1);
  ASSERT_TRUE(pool.submit([] { throw std::runtime_error("boom"); }, nullptr));
  std::atomic<bool> ran{false};
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!pool.submit([&] { ran = true; }, nullptr) && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  while (!ran && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(ran);
}

} // namespace test_pool_test
} // namespace bambuddy::notifications
