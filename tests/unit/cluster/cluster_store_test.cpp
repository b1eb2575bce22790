// The leases and heartbeats of several server instances (cluster/cluster_store.h and
// cluster_coordinator.h) on a real PostgreSQL 15, where instances race for them, and on SQLite:
// a lease has one holder, an expired one is taken over, an orderly stop gives everything back at
// once, a coordinator cut off from its database stops the work before its leases can expire, and
// two coordinators never hold one printer.
#include "cluster/cluster_coordinator.h"
#include "cluster/cluster_store.h"

#include "backend_database.h"
#include "common/logger.h"
#include "common/time.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace bambuddy::cluster {
namespace cluster_store_test {

class ClusterStoreTest : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    std::string problem;
    ASSERT_TRUE(backend_.open(GetParam(), "cluster", logger_, problem)) << problem;
    store_ = std::make_unique<ClusterStore>(*backend_.db);
  }

  InstanceRow instance(const std::string& id) {
    InstanceRow row;
    row.id = id;
    row.host = "test";
    row.started_at_ms = 1;
    return row;
  }

  std::FILE* log_file_ = std::tmpfile();
  Logger logger_{LogLevel::Warn, log_file_};
  test::BackendDatabase backend_;
  std::unique_ptr<ClusterStore> store_;
};

TEST_P(ClusterStoreTest, ALeaseHasOneHolderUntilItExpiresOrIsGivenBack) {
  EXPECT_EQ(store_->acquire("a", {"farm", "printer/1"}, 60000), (std::set<std::string>{"farm", "printer/1"}));
  EXPECT_EQ(store_->acquire("b", {"farm", "printer/1", "printer/2"}, 60000),
            (std::set<std::string>{"printer/2"}));
  EXPECT_EQ(store_->acquire("a", {"farm"}, 60000), (std::set<std::string>{"farm"}))
      << "renewing is taking again";

  const Heartbeat beat = store_->heartbeat(instance("a"), 60000);
  EXPECT_EQ(beat.held, (std::set<std::string>{"farm", "printer/1"}));
  EXPECT_EQ(beat.all_held, (std::set<std::string>{"farm", "printer/1", "printer/2"}));
  ASSERT_EQ(beat.alive.size(), 1u);
  EXPECT_EQ(beat.alive[0].id, "a");

  store_->release("b", {"farm"}); // not b's: nothing happens
  EXPECT_EQ(store_->holders("farm"), (std::vector<std::pair<std::string, std::string>>{{"farm", "a"}}));
  store_->leave("a");
  EXPECT_EQ(store_->acquire("b", {"farm", "printer/1"}, 60000), (std::set<std::string>{"farm", "printer/1"}));
}

TEST_P(ClusterStoreTest, AnExpiredLeaseIsTakenOverAndNotRenewedByItsOldHolder) {
  EXPECT_EQ(store_->acquire("a", {"printer/7"}, 1), (std::set<std::string>{"printer/7"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(5)); // the lease is 1 ms long: it has expired
  EXPECT_TRUE(store_->heartbeat(instance("a"), 1).held.empty()) << "an expired lease is not renewed";
  EXPECT_EQ(store_->acquire("b", {"printer/7"}, 60000), (std::set<std::string>{"printer/7"}));
  EXPECT_TRUE(store_->heartbeat(instance("a"), 60000).held.empty());
  EXPECT_EQ(store_->heartbeat(instance("b"), 60000).held, (std::set<std::string>{"printer/7"}));
}

TEST_P(ClusterStoreTest, RacingInstancesNeverShareALease) {
  std::vector<std::string> names;
  for (int i = 0; i < 50; ++i) {
    names.push_back("printer/" + std::to_string(i));
  }
  std::set<std::string> got[4];
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] { got[t] = store_->acquire("i" + std::to_string(t), names, 60000); });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  size_t total = 0;
  std::set<std::string> all;
  for (const auto& g : got) {
    total += g.size();
    all.insert(g.begin(), g.end());
  }
  EXPECT_EQ(total, names.size()) << "each lease went to exactly one instance";
  EXPECT_EQ(all.size(), names.size());
}

TEST_P(ClusterStoreTest, TwoCoordinatorsHoldEachPrinterOnceAndTheSurvivorTakesOver) {
  std::vector<std::string> wanted = {"farm", "printer/1", "printer/2", "printer/3"};
  // Printers follow the farm's lease, as in the server.
  auto wants = [&](const std::set<std::string>& held) {
    return held.count("farm") != 0 ? wanted : std::vector<std::string>{"farm"};
  };
  ClusterSettings settings;
  settings.heartbeat_ms = 50;
  settings.lease_ms = 300;
  settings.instance_id = "first";
  std::set<std::string> first_held, second_held;
  std::mutex held_mutex;
  auto track = [&held_mutex](std::set<std::string>& into) {
    return [&held_mutex, &into](const std::set<std::string>& gained, const std::set<std::string>& lost) {
      std::lock_guard<std::mutex> lock(held_mutex);
      for (const auto& n : lost) {
        into.erase(n);
      }
      into.insert(gained.begin(), gained.end());
    };
  };
  auto first = std::make_unique<ClusterCoordinator>(*store_, logger_, settings, wants);
  first->addListener(track(first_held));
  first->start();
  settings.instance_id = "second";
  ClusterCoordinator second(*store_, logger_, settings, wants);
  second.addListener(track(second_held));
  second.start();
  {
    std::lock_guard<std::mutex> lock(held_mutex);
    EXPECT_EQ(first_held, std::set<std::string>(wanted.begin(), wanted.end()));
    EXPECT_TRUE(second_held.empty());
  }
  EXPECT_EQ(second.instances().size(), 2u);
  // An orderly stop gives the leases back: the second takes them at its next heartbeat.
  first->stop();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard<std::mutex> lock(held_mutex);
      if (second_held.size() == wanted.size()) {
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10)); // polling a condition, with a deadline
  }
  std::lock_guard<std::mutex> lock(held_mutex);
  EXPECT_EQ(second_held, std::set<std::string>(wanted.begin(), wanted.end()));
  EXPECT_TRUE(first_held.empty());
}

// A coordinator holding the farm (50 ms heartbeats, 400 ms leases) whose database `cut` takes
// away: the work stops before the lease can expire. `restore` brings the database back (run before
// any assertion); `back` then expects the work to be taken again.
void expectFencedInTime(ClusterStore& store, Logger& logger, const std::function<void()>& cut,
                        const std::function<void()>& restore, bool back) {
  ClusterSettings settings;
  settings.heartbeat_ms = 50;
  settings.lease_ms = 400;
  settings.instance_id = "cut-off";
  std::atomic<int64_t> lost_at_ms{0};
  std::atomic<bool> holding{false};
  ClusterCoordinator coordinator(
      store, logger, settings, [](const std::set<std::string>&) { return std::vector<std::string>{"farm"}; });
  coordinator.addListener([&](const std::set<std::string>& gained, const std::set<std::string>& lost) {
    if (gained.count("farm")) {
      holding = true;
    }
    if (lost.count("farm")) {
      holding = false;
      lost_at_ms = monotonicMs();
    }
  });
  coordinator.start();
  ASSERT_TRUE(holding.load());
  auto waitFor = [&](bool wanted, int64_t timeout_ms) {
    const int64_t deadline = monotonicMs() + timeout_ms;
    while (holding.load() != wanted && monotonicMs() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5)); // polling a condition, with a deadline
    }
    return holding.load() == wanted;
  };
  const int64_t cut_at_ms = monotonicMs();
  cut();
  const bool stopped = waitFor(false, 5000);
  if (restore) {
    restore();
  }
  ASSERT_TRUE(stopped) << "the work must stop when the leases cannot be renewed";
  // The lease was last renewed at most one heartbeat before the cut; it expires lease_ms after.
  EXPECT_LT(lost_at_ms.load() - cut_at_ms, settings.lease_ms) << "stopped before anyone could take over";
  if (back) {
    EXPECT_TRUE(waitFor(true, 10000)) << "the lease is taken again once the database answers";
  }
  coordinator.stop();
}

TEST_P(ClusterStoreTest, ACoordinatorCutOffFromItsDatabaseStopsTheWorkBeforeItsLeasesExpire) {
  if (GetParam() != "postgresql") {
    GTEST_SKIP() << "an SQLite file cannot be cut off: only the PostgreSQL server can go away";
  }
  expectFencedInTime(
      *store_, logger_, [this] { backend_.server->kill(); }, nullptr, false);
}

// A database that stops answering without closing anything (a frozen server, packets dropped):
// the heartbeat call hangs rather than fails, and the watchdog still stops the work in time.
TEST_P(ClusterStoreTest, ACoordinatorWhoseDatabaseHangsStopsTheWorkBeforeItsLeasesExpire) {
  if (GetParam() != "postgresql") {
    GTEST_SKIP() << "an SQLite file cannot hang: only the PostgreSQL server can";
  }
  expectFencedInTime(
      *store_, logger_, [this] { backend_.server->freeze(); }, [this] { backend_.server->thaw(); }, true);
}

INSTANTIATE_TEST_SUITE_P(Backends, ClusterStoreTest, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

} // namespace cluster_store_test
} // namespace bambuddy::cluster
