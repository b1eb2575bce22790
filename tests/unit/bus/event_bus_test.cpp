#include "bus/event_bus.h"

#include "common/logger.h"
#include "common/time.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/gate.h"

#include <gtest/gtest.h>

namespace bambuddy::bus {
namespace event_bus_test {

using namespace std::chrono_literals;

constexpr int64_t kWaitMs = 10000; // generous deadline for conditions that should hold quickly

using bambuddy::testing::Gate;

// Captures log lines so tests can check what the bus reports.
class LogCapture {
public:
  LogCapture() : file_(std::tmpfile()), logger_(LogLevel::Debug, file_) {}
  ~LogCapture() { std::fclose(file_); }
  Logger& logger() { return logger_; }
  std::string text() {
    std::fflush(file_);
    std::rewind(file_);
    std::string out;
    char buffer[4096];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, file_)) > 0) {
      out.append(buffer, n);
    }
    std::fseek(file_, 0, SEEK_END);
    return out;
  }

private:
  std::FILE* file_;
  Logger logger_;
};

class EventBusTest : public ::testing::Test {
protected:
  LogCapture log_;
};

TEST_F(EventBusTest, DeliversInPublishOrderWithOneThread) {
  EventBus bus(log_.logger(), 1000);
  std::vector<std::string> seen;
  std::mutex mutex;
  bus.subscribe("printer_status", [&](const Event& e) {
    std::lock_guard<std::mutex> lock(mutex);
    seen.push_back(e.payload_json);
  });
  bus.start();
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(bus.publish("printer_status", std::to_string(i)));
  }
  ASSERT_TRUE(bus.waitIdle(kWaitMs));
  ASSERT_EQ(seen.size(), 500u);
  for (int i = 0; i < 500; ++i) {
    EXPECT_EQ(seen[i], std::to_string(i));
  }
  BusStats stats = bus.stats();
  EXPECT_EQ(stats.published, 500u);
  EXPECT_EQ(stats.delivered, 500u);
  EXPECT_EQ(stats.queue_depth, 0u);
}

TEST_F(EventBusTest, OnlyMatchingTopicsAndWildcard) {
  EventBus bus(log_.logger(), 100);
  std::vector<std::string> exact, any;
  bus.subscribe("print_started", [&](const Event& e) { exact.push_back(e.type); });
  bus.subscribe("*", [&](const Event& e) { any.push_back(e.type); });
  bus.start();
  bus.publish("print_started", "{}");
  bus.publish("print_complete", "{}");
  bus.publish("printer_status", "{}");
  ASSERT_TRUE(bus.waitIdle(kWaitMs));
  EXPECT_EQ(exact, (std::vector<std::string>{"print_started"}));
  EXPECT_EQ(any, (std::vector<std::string>{"print_started", "print_complete", "printer_status"}));
}

TEST_F(EventBusTest, HandlersOfOneEventRunInSubscriptionOrder) {
  EventBus bus(log_.logger(), 100);
  std::vector<int> calls;
  bus.subscribe("*", [&](const Event&) { calls.push_back(1); });
  bus.subscribe("t", [&](const Event&) { calls.push_back(2); });
  bus.subscribe("*", [&](const Event&) { calls.push_back(3); });
  bus.subscribe("t", [&](const Event&) { calls.push_back(4); });
  bus.start();
  bus.publish("t", "{}");
  ASSERT_TRUE(bus.waitIdle(kWaitMs));
  EXPECT_EQ(calls, (std::vector<int>{1, 2, 3, 4}));
}

TEST_F(EventBusTest, EventsGetUniqueIdsTimestampsAndKeepTheirFields) {
  EventBus bus(log_.logger(), 5000);
  std::vector<Event> events;
  bus.subscribe("*", [&](const Event& e) { events.push_back(e); });
  int64_t before = nowUtcMs();
  bus.start();
  for (int i = 0; i < 2000; ++i) {
    bus.publish("x", "{\"i\":" + std::to_string(i) + "}", 3);
  }
  Event given;
  given.id = "evt_given";
  given.type = "y";
  given.timestamp_ms = 42;
  given.payload_json = "[]";
  bus.publish(given);
  ASSERT_TRUE(bus.waitIdle(kWaitMs));
  int64_t after = nowUtcMs();
  ASSERT_EQ(events.size(), 2001u);
  std::set<std::string> ids;
  for (std::size_t i = 0; i < 2000; ++i) {
    const Event& e = events[i];
    EXPECT_EQ(e.id.size(), 28u);
    EXPECT_EQ(e.id.rfind("evt_", 0), 0u);
    EXPECT_EQ(e.id.find_first_not_of("0123456789abcdef", 4), std::string::npos) << e.id;
    ids.insert(e.id);
    EXPECT_GE(e.timestamp_ms, before);
    EXPECT_LE(e.timestamp_ms, after);
    EXPECT_EQ(e.payload_version, 3u);
  }
  EXPECT_EQ(ids.size(), 2000u);
  EXPECT_EQ(events[2000].id, "evt_given");
  EXPECT_EQ(events[2000].timestamp_ms, 42);
  EXPECT_EQ(events[2000].payload_json, "[]");
  EXPECT_EQ(events[2000].payload_version, 1u);
}

TEST_F(EventBusTest, HandlersRunOnADispatchThread) {
  EventBus bus(log_.logger(), 10);
  std::promise<std::thread::id> handler_thread;
  bus.subscribe("t", [&](const Event&) { handler_thread.set_value(std::this_thread::get_id()); });
  bus.start();
  bus.publish("t", "{}");
  auto future = handler_thread.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::milliseconds(kWaitMs)), std::future_status::ready);
  EXPECT_NE(future.get(), std::this_thread::get_id());
}

TEST_F(EventBusTest, EventsPublishedBeforeStartAreDeliveredAfter) {
  EventBus bus(log_.logger(), 10);
  std::atomic<int> count{0};
  bus.subscribe("t", [&](const Event&) { ++count; });
  EXPECT_TRUE(bus.publish("t", "{}"));
  EXPECT_TRUE(bus.publish("t", "{}"));
  EXPECT_EQ(bus.stats().queue_depth, 2u);
  bus.start();
  ASSERT_TRUE(bus.waitIdle(kWaitMs));
  EXPECT_EQ(count.load(), 2);
}

TEST_F(EventBusTest, SlowSubscriberDoesNotBlockPublishAndOverflowIsCounted) {
  EventBus bus(log_.logger(), 4);
  Gate entered, release;
  std::atomic<int> handled{0};
  bus.subscribe("t", [&](const Event&) {
    entered.open();
    release.wait();
    ++handled;
  });
  bus.start();
  ASSERT_TRUE(bus.publish("t", "first"));
  ASSERT_TRUE(entered.waitFor(kWaitMs)); // the handler now holds the only dispatch thread

  // Publishing while the handler is stuck returns at once: 4 fit, the rest are dropped.
  int64_t start = monotonicMs();
  int accepted = 0;
  int refused = 0;
  for (int i = 0; i < 10; ++i) {
    (bus.publish("t", std::to_string(i)) ? accepted : refused)++;
  }
  int64_t elapsed_ms = monotonicMs() - start;
  EXPECT_LT(elapsed_ms, 1000); // nowhere near the (unbounded) time the handler is blocked
  EXPECT_EQ(accepted, 4);
  EXPECT_EQ(refused, 6);
  BusStats stats = bus.stats();
  EXPECT_EQ(stats.dropped_overflow, 6u);
  EXPECT_EQ(stats.queue_depth, 4u);
  EXPECT_EQ(stats.published, 5u);

  release.open();
  ASSERT_TRUE(bus.waitIdle(kWaitMs));
  EXPECT_EQ(handled.load(), 5);
  // One warning for the burst (rate-limited), naming the capacity, not one per drop.
  std::string text = log_.text();
  EXPECT_NE(text.find("event queue full (capacity 4): dropped 1 event(s)"), std::string::npos) << text;
  std::size_t warnings = 0;
  for (std::size_t at = text.find("event queue full"); at != std::string::npos;
       at = text.find("event queue full", at + 1)) {
    ++warnings;
  }
  EXPECT_EQ(warnings, 1u) << text;
}

TEST_F(EventBusTest, ThrowingHandlerIsCountedLoggedAndDispatchContinues) {
  EventBus bus(log_.logger(), 100);
  std::vector<std::string> after;
  bus.subscribe("t", [](const Event&) { throw std::runtime_error("boom"); });
  bus.subscribe("t", [](const Event&) { throw 42; });
  bus.subscribe("t", [&](const Event& e) { after.push_back(e.payload_json); });
  bus.start();
  bus.publish("t", "{\"secret\":\"s3cr3t\"}");
  bus.publish("t", "2");
  ASSERT_TRUE(bus.waitIdle(kWaitMs));
  EXPECT_EQ(after.size(), 2u);
  BusStats stats = bus.stats();
  EXPECT_EQ(stats.handler_errors, 4u);
  EXPECT_EQ(stats.delivered, 2u);
  std::string text = log_.text();
  EXPECT_NE(text.find("handler for 't' (subscription 1) threw: boom"), std::string::npos) << text;
  EXPECT_NE(text.find("(subscription 2) threw: non-standard exception"), std::string::npos) << text;
  EXPECT_EQ(text.find("s3cr3t"), std::string::npos) << "payload leaked into the log";
}

TEST_F(EventBusTest, UnsubscribeStopsDelivery) {
  EventBus bus(log_.logger(), 100);
  std::atomic<int> count{0};
  SubscriptionId id = bus.subscribe("t", [&](const Event&) { ++count; });
  bus.start();
  bus.publish("t", "{}");
  ASSERT_TRUE(bus.waitIdle(kWaitMs));
  EXPECT_TRUE(bus.unsubscribe(id));
  EXPECT_FALSE(bus.unsubscribe(id));
  EXPECT_FALSE(bus.unsubscribe(9999));
  bus.publish("t", "{}");
  ASSERT_TRUE(bus.waitIdle(kWaitMs));
  EXPECT_EQ(count.load(), 1);
}

TEST_F(EventBusTest, UnsubscribeWaitsForARunningHandler) {
  EventBus bus(log_.logger(), 100);
  Gate entered, release;
  std::atomic<bool> finished{false};
  std::atomic<int> calls{0};
  SubscriptionId id = bus.subscribe("t", [&](const Event&) {
    ++calls;
    entered.open();
    release.wait();
    finished = true;
  });
  bus.start();
  bus.publish("t", "{}");
  bus.publish("t", "{}"); // queued behind the blocked call; must never be delivered
  ASSERT_TRUE(entered.waitFor(kWaitMs));

  std::atomic<bool> finished_when_returned{false};
  auto unsubscribed = std::async(std::launch::async, [&] {
    bool ok = bus.unsubscribe(id);
    finished_when_returned = finished.load();
    return ok;
  });
  // While the handler is blocked, unsubscribe must not return. (Absence can only be checked
  // for a while; a short wait is enough to catch an unsubscribe that does not wait at all.)
  EXPECT_EQ(unsubscribed.wait_for(100ms), std::future_status::timeout);
  release.open();
  ASSERT_EQ(unsubscribed.wait_for(std::chrono::milliseconds(kWaitMs)), std::future_status::ready);
  EXPECT_TRUE(unsubscribed.get());
  EXPECT_TRUE(finished_when_returned.load());
  ASSERT_TRUE(bus.waitIdle(kWaitMs));
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(EventBusTest, UnsubscribeReleasesTheHandlerBeforeReturning) {
  EventBus bus(log_.logger(), 100);
  auto token = std::make_shared<int>(7);
  std::weak_ptr<int> watch = token;
  SubscriptionId id = bus.subscribe("t", [token](const Event&) {});
  token.reset();
  EXPECT_FALSE(watch.expired());
  bus.start();
  bus.publish("t", "{}");
  ASSERT_TRUE(bus.waitIdle(kWaitMs));
  bus.unsubscribe(id);
  EXPECT_TRUE(watch.expired()); // captured state is gone: a plugin could be unloaded now
}

TEST_F(EventBusTest, UnsubscribeFromInsideTheHandlerDoesNotDeadlock) {
  EventBus bus(log_.logger(), 100);
  std::atomic<int> calls{0};
  std::atomic<bool> result{false};
  SubscriptionId id = 0;
  std::promise<SubscriptionId> id_ready;
  auto id_future = id_ready.get_future().share();
  id = bus.subscribe("t", [&, id_future](const Event&) {
    ++calls;
    result = bus.unsubscribe(id_future.get());
  });
  id_ready.set_value(id);
  bus.start();
  bus.publish("t", "{}");
  bus.publish("t", "{}");
  bus.publish("t", "{}");
  ASSERT_TRUE(bus.waitIdle(kWaitMs));
  EXPECT_EQ(calls.load(), 1);
  EXPECT_TRUE(result.load());
  EXPECT_EQ(bus.stats().delivered, 1u);
}

TEST_F(EventBusTest, HandlerMayUnsubscribeAnotherAndSubscribeAndPublish) {
  EventBus bus(log_.logger(), 100);
  std::vector<std::string> log;
  SubscriptionId second = 0;
  bus.subscribe("a", [&](const Event&) {
    log.push_back("first");
    bus.unsubscribe(second); // later in this same event's handler list
    bus.subscribe("b", [&](const Event&) { log.push_back("b"); });
    bus.publish("b", "{}");
  });
  second = bus.subscribe("a", [&](const Event&) { log.push_back("second"); });
  bus.start();
  bus.publish("a", "{}");
  ASSERT_TRUE(bus.waitIdle(kWaitMs));
  EXPECT_EQ(log, (std::vector<std::string>{"first", "b"}));
}

TEST_F(EventBusTest, UnsubscribeOwnerDropsAllOfItsSubscriptions) {
  EventBus bus(log_.logger(), 100);
  int owner_a = 0;
  int owner_b = 0;
  std::atomic<int> a_calls{0}, b_calls{0};
  bus.subscribe(
      "x", [&](const Event&) { ++a_calls; }, &owner_a);
  bus.subscribe(
      "*", [&](const Event&) { ++a_calls; }, &owner_a);
  bus.subscribe(
      "x", [&](const Event&) { ++b_calls; }, &owner_b);
  bus.start();
  EXPECT_EQ(bus.unsubscribeOwner(&owner_a), 2u);
  EXPECT_EQ(bus.unsubscribeOwner(&owner_a), 0u);
  bus.publish("x", "{}");
  ASSERT_TRUE(bus.waitIdle(kWaitMs));
  EXPECT_EQ(a_calls.load(), 0);
  EXPECT_EQ(b_calls.load(), 1);
}

TEST_F(EventBusTest, UnsubscribeOwnerWaitsForRunningHandlers) {
  EventBus bus(log_.logger(), 100, 2);
  int owner = 0;
  Gate entered_a, entered_b, release;
  std::atomic<int> finished{0};
  bus.subscribe(
      "a",
      [&](const Event&) {
        entered_a.open();
        release.wait();
        ++finished;
      },
      &owner);
  bus.subscribe(
      "b",
      [&](const Event&) {
        entered_b.open();
        release.wait();
        ++finished;
      },
      &owner);
  bus.start();
  bus.publish("a", "{}");
  bus.publish("b", "{}");
  ASSERT_TRUE(entered_a.waitFor(kWaitMs));
  ASSERT_TRUE(entered_b.waitFor(kWaitMs)); // both dispatch threads are inside the owner's handlers
  std::atomic<int> finished_when_returned{-1};
  auto dropped = std::async(std::launch::async, [&] {
    std::size_t n = bus.unsubscribeOwner(&owner);
    finished_when_returned = finished.load();
    return n;
  });
  EXPECT_EQ(dropped.wait_for(100ms), std::future_status::timeout);
  release.open();
  ASSERT_EQ(dropped.wait_for(std::chrono::milliseconds(kWaitMs)), std::future_status::ready);
  EXPECT_EQ(dropped.get(), 2u);
  EXPECT_EQ(finished_when_returned.load(), 2);
}

TEST_F(EventBusTest, SeveralDispatchThreadsDeliverEverything) {
  EventBus bus(log_.logger(), 100000, 4);
  std::atomic<int> count{0};
  std::mutex mutex;
  std::set<std::thread::id> threads;
  bus.subscribe("t", [&](const Event&) {
    ++count;
    std::lock_guard<std::mutex> lock(mutex);
    threads.insert(std::this_thread::get_id());
  });
  bus.start();
  std::vector<std::thread> publishers;
  for (int p = 0; p < 4; ++p) {
    publishers.emplace_back([&] {
      for (int i = 0; i < 2500; ++i) {
        bus.publish("t", "{}");
      }
    });
  }
  for (std::thread& t : publishers) {
    t.join();
  }
  ASSERT_TRUE(bus.waitIdle(kWaitMs));
  EXPECT_EQ(count.load(), 10000);
  EXPECT_GE(threads.size(), 1u);
  EXPECT_EQ(bus.stats().published, 10000u);
}

TEST_F(EventBusTest, ConcurrentSubscribeUnsubscribeWhilePublishing) {
  EventBus bus(log_.logger(), 100000, 2);
  std::atomic<bool> stop{false};
  std::atomic<int> count{0};
  bus.start();
  std::thread publisher([&] {
    while (!stop) {
      bus.publish("t", "{}");
      std::this_thread::yield();
    }
  });
  for (int i = 0; i < 300; ++i) {
    auto alive = std::make_shared<std::atomic<bool>>(true);
    SubscriptionId id = bus.subscribe("t", [alive, &count](const Event&) {
      EXPECT_TRUE(alive->load()) << "handler ran after unsubscribe returned";
      ++count;
    });
    bus.unsubscribe(id);
    alive->store(false);
  }
  stop = true;
  publisher.join();
  ASSERT_TRUE(bus.waitIdle(kWaitMs));
}

TEST_F(EventBusTest, StopDrainsQueuedEventsAndJoins) {
  EventBus bus(log_.logger(), 1000);
  Gate release;
  std::atomic<int> count{0};
  bus.subscribe("t", [&](const Event&) {
    release.wait();
    ++count;
  });
  bus.start();
  for (int i = 0; i < 50; ++i) {
    bus.publish("t", "{}");
  }
  std::thread opener([&] { release.open(); });
  bus.stop(); // returns only after all 50 were delivered and the thread joined
  opener.join();
  EXPECT_EQ(count.load(), 50);
  EXPECT_FALSE(bus.publish("t", "{}")); // stopped
  bus.stop();                           // idempotent
  EXPECT_EQ(bus.stats().published, 50u);
}

TEST_F(EventBusTest, EventsPublishedByHandlersDuringStopAreRefused) {
  EventBus bus(log_.logger(), 1000);
  std::atomic<int> count{0};
  std::atomic<int> refused{0};
  bus.subscribe("t", [&](const Event&) {
    ++count;
    if (!bus.publish("t", "{}")) { // would loop forever if accepted during the drain
      ++refused;
    }
  });
  bus.start();
  bus.publish("t", "{}");
  bus.stop();
  EXPECT_GE(count.load(), 1);
  EXPECT_EQ(refused.load(), 1);
}

TEST_F(EventBusTest, RestartAfterStop) {
  EventBus bus(log_.logger(), 10);
  std::atomic<int> count{0};
  bus.subscribe("t", [&](const Event&) { ++count; });
  bus.start();
  bus.start(); // no-op
  bus.stop();
  bus.start();
  EXPECT_TRUE(bus.publish("t", "{}"));
  ASSERT_TRUE(bus.waitIdle(kWaitMs));
  EXPECT_EQ(count.load(), 1);
}

TEST_F(EventBusTest, StopFromAHandlerDoesNotDeadlock) {
  auto bus = std::make_unique<EventBus>(log_.logger(), 10);
  Gate done;
  bus->subscribe("t", [&](const Event&) {
    bus->stop();
    done.open();
  });
  bus->start();
  bus->publish("t", "{}");
  ASSERT_TRUE(done.waitFor(kWaitMs));
  bus.reset(); // joins from this thread
  EXPECT_NE(log_.text().find("stop() called from an event handler"), std::string::npos);
}

TEST_F(EventBusTest, BadArgumentsAreRefused) {
  EXPECT_THROW(EventBus(log_.logger(), 0), std::invalid_argument);
  EXPECT_THROW(EventBus(log_.logger(), 1, 0), std::invalid_argument);
  EventBus bus(log_.logger(), 10);
  EXPECT_THROW(bus.subscribe("", [](const Event&) {}), std::invalid_argument);
  EXPECT_THROW(bus.subscribe("t", Handler()), std::invalid_argument);
  EXPECT_FALSE(bus.publish("", "{}"));
  EXPECT_FALSE(bus.publish("*", "{}"));
  EXPECT_EQ(bus.stats().published, 0u);
  EXPECT_EQ(bus.stats().dropped_overflow, 0u);
}

TEST_F(EventBusTest, WaitIdleTimesOutWhileAHandlerRuns) {
  EventBus bus(log_.logger(), 10);
  Gate entered, release;
  bus.subscribe("t", [&](const Event&) {
    entered.open();
    release.wait();
  });
  bus.start();
  bus.publish("t", "{}");
  ASSERT_TRUE(entered.waitFor(kWaitMs));
  EXPECT_FALSE(bus.waitIdle(20));
  release.open();
  EXPECT_TRUE(bus.waitIdle(kWaitMs));
}

} // namespace event_bus_test
} // namespace bambuddy::bus
