#include "http/worker_pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>

#include "support/gate.h"

#include <gtest/gtest.h>

namespace bambuddy::http {
namespace worker_pool_test {

using bambuddy::testing::Gate;

TEST(WorkerPool, RunsPostedTasks) {
  WorkerPool pool(2, 16);
  std::promise<int> result;
  ASSERT_TRUE(pool.post([&result] { result.set_value(42); }));
  auto future = result.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(future.get(), 42);
}

TEST(WorkerPool, RefusesWhenQueueIsFull) {
  WorkerPool pool(1, 2);
  Gate gate;
  std::promise<void> started;
  ASSERT_TRUE(pool.post([&] {
    started.set_value();
    gate.wait();
  }));
  // The single worker is busy once the first task has started; then two tasks fit in the queue.
  ASSERT_EQ(started.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_TRUE(pool.post([] {}));
  EXPECT_TRUE(pool.post([] {}));
  EXPECT_FALSE(pool.post([] {}));
  EXPECT_EQ(pool.queued(), 2u);
  gate.open();
}

TEST(WorkerPool, StopFinishesQueuedWork) {
  std::atomic<int> ran{0};
  Gate gate;
  WorkerPool pool(1, 100);
  ASSERT_TRUE(pool.post([&] {
    gate.wait();
    ++ran;
  }));
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(pool.post([&] { ++ran; }));
  }
  std::thread opener([&] { gate.open(); });
  pool.stop();
  opener.join();
  EXPECT_EQ(ran, 11);
  EXPECT_FALSE(pool.post([] {}));
  pool.stop(); // idempotent
}

TEST(WorkerPool, ThrowingTaskDoesNotKillTheWorker) {
  WorkerPool pool(1, 4);
  ASSERT_TRUE(pool.post([] { throw std::runtime_error("boom"); }));
  std::promise<void> after;
  ASSERT_TRUE(pool.post([&after] { after.set_value(); }));
  EXPECT_EQ(after.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
}

TEST(WorkerPool, StopFromATaskIsRefused) {
  WorkerPool pool(1, 4);
  std::promise<bool> refused;
  ASSERT_TRUE(pool.post([&] {
    try {
      pool.stop();
      refused.set_value(false);
    } catch (const std::logic_error&) {
      refused.set_value(true);
    }
  }));
  auto future = refused.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_TRUE(future.get());
}

TEST(WorkerPool, TasksRunInParallel) {
  WorkerPool pool(2, 4);
  // Each task waits for the other: only finishes if both run at the same time.
  std::promise<void> a_started;
  std::promise<void> b_started;
  auto a_future = a_started.get_future().share();
  auto b_future = b_started.get_future().share();
  std::promise<void> both_done;
  std::atomic<int> finished{0};
  auto finish = [&] {
    if (++finished == 2) {
      both_done.set_value();
    }
  };
  ASSERT_TRUE(pool.post([&] {
    a_started.set_value();
    b_future.wait();
    finish();
  }));
  ASSERT_TRUE(pool.post([&] {
    b_started.set_value();
    a_future.wait();
    finish();
  }));
  EXPECT_EQ(both_done.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
}

} // namespace worker_pool_test
} // namespace bambuddy::http
