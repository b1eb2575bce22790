// The status intake: every report reaches the sinks in its driver's order, memory stays bounded by
// slowing the driver down, and only a stalled core makes it refuse a report.
#include "printers/status_intake.h"
#include "support/core_services.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace bambuddy::printers {
namespace status_intake_test {

TEST(StatusIntakeTest, EveryReportArrivesInItsDriversOrder) {
  testing::CoreServices core;
  StatusIntake intake(core.logger(), nullptr, 8, 10000);
  std::mutex mutex;
  std::map<std::string, std::vector<int>> seen;
  intake.addSink([&](const std::string& driver, const std::string& instance, nlohmann::json& status) {
    std::lock_guard<std::mutex> lock(mutex);
    seen[driver + "/" + instance].push_back(status["n"].get<int>());
    return true;
  });
  intake.start();
  std::vector<std::thread> drivers;
  for (int d = 0; d < 4; ++d) {
    drivers.emplace_back([&, d] {
      for (int n = 0; n < 2000; ++n) {
        ASSERT_TRUE(intake.push("printer.sim", "p" + std::to_string(d), {{"n", n}}));
      }
    });
  }
  for (std::thread& t : drivers) {
    t.join();
  }
  ASSERT_TRUE(intake.waitIdle(10000));
  ASSERT_EQ(seen.size(), 4u);
  for (auto& [key, numbers] : seen) {
    ASSERT_EQ(numbers.size(), 2000u) << key;
    for (int n = 0; n < 2000; ++n) {
      ASSERT_EQ(numbers[n], n) << key << ": none lost, none reordered";
    }
  }
  EXPECT_EQ(intake.stats().refused, 0u);
}

TEST(StatusIntakeTest, AFullFifoSlowsTheDriverAndAStalledCoreMakesItRefuse) {
  testing::CoreServices core;
  StatusIntake intake(core.logger(), nullptr, 2, 100);
  std::mutex mutex;
  std::condition_variable cv;
  bool release = false, entered = false;
  std::atomic<int> handled{0};
  intake.addSink([&](const std::string&, const std::string&, nlohmann::json&) {
    std::unique_lock<std::mutex> lock(mutex);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    ++handled;
    return true;
  });
  intake.start();
  // One report in the sink's hands, two waiting: the FIFO is full.
  ASSERT_TRUE(intake.push("d", "i", {{"n", 0}}));
  {
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(5), [&] { return entered; }));
  }
  EXPECT_TRUE(intake.push("d", "i", {{"n", 1}}));
  EXPECT_TRUE(intake.push("d", "i", {{"n", 2}}));
  EXPECT_FALSE(intake.push("d", "i", {{"n", 3}})) << "the core is stuck: refused after max_wait_ms";
  EXPECT_EQ(intake.stats().refused, 1u);
  EXPECT_TRUE(intake.push("d", "other", {{"n", 0}})) << "another printer has a FIFO of its own";
  {
    std::lock_guard<std::mutex> lock(mutex);
    release = true;
  }
  cv.notify_all();
  ASSERT_TRUE(intake.waitIdle(5000));
  EXPECT_EQ(handled.load(), 4);
  EXPECT_NE(core.log().find("not keeping up"), std::string::npos);
}

TEST(StatusIntakeTest, TheFirstSinkThatTakesAReportEndsItsWay) {
  testing::CoreServices core;
  StatusIntake intake(core.logger(), nullptr);
  std::vector<std::string> order;
  std::mutex mutex;
  intake.addSink([&](const std::string&, const std::string& instance, nlohmann::json&) {
    std::lock_guard<std::mutex> lock(mutex);
    order.push_back("registry " + instance);
    return instance != "check-0123456789abcdef";
  });
  intake.addSink([&](const std::string&, const std::string& instance, nlohmann::json&) {
    std::lock_guard<std::mutex> lock(mutex);
    order.push_back("checks " + instance);
    return true;
  });
  intake.start();
  intake.push("d", "printer-1", nlohmann::json::object());
  intake.push("d", "check-0123456789abcdef", nlohmann::json::object());
  ASSERT_TRUE(intake.waitIdle(5000));
  intake.stop();
  EXPECT_EQ(order, (std::vector<std::string>{"registry printer-1", "registry check-0123456789abcdef",
                                             "checks check-0123456789abcdef"}));
  EXPECT_FALSE(intake.push("d", "printer-1", nlohmann::json::object())) << "refused after stop()";
}

} // namespace status_intake_test
} // namespace bambuddy::printers
