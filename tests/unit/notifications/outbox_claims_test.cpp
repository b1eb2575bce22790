// Claims on the outbox's rows (notifications/outbox_store.h), on SQLite and on a real PostgreSQL
// 15 where several server instances claim at once: a row due for delivery is claimed by one
// instance only, until its claim runs out or is given back; storing an attempt's outcome ends it.
#include "common/logger.h"
#include "notifications/outbox_store.h"
#include "notifications/provider_store.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "support/postgres_server.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace bambuddy::notifications {
namespace outbox_claims_test {

class OutboxClaimsTest : public ::testing::TestWithParam<std::string> {
protected:
  static void SetUpTestSuite() {
    if (!testing::PostgresServer::binDir().empty()) {
      server_ = new testing::PostgresServer();
      server_->start();
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    if (GetParam() == "postgresql") {
      ASSERT_NE(server_, nullptr) << "PostgreSQL 15 is not installed: scripts/setup";
      url_ = server_->createDatabase("claims" + std::to_string(++databases_));
    }
    db_ = open();
    storage::migrate(*db_, storage::coreMigrations(), logger_);
    outbox_ = std::make_unique<OutboxStore>(*db_);
    ProviderRecord r;
    r.name = "hook";
    r.plugin = "notifier.webhook";
    r.source = "api";
    r.settings = {{"url", "http://127.0.0.1:9/hook"}};
    r.created_at_ms = r.updated_at_ms = 1000;
    ProviderStore providers(*db_);
    provider_id_ = providers.insert(r).id;
  }

  // Another connection pool on the same database: what a second server instance has.
  std::unique_ptr<storage::Database> open() {
    storage::DatabaseOptions options;
    options.pool_size = 4;
    if (url_.empty()) {
      options.path = dir_.file("outbox.db");
    } else {
      options.url = url_;
    }
    return std::make_unique<storage::Database>(options, logger_);
  }

  std::vector<int64_t> insertDue(size_t count, int64_t next_ms) {
    std::vector<DeliveryRow> rows;
    for (size_t i = 0; i < count; ++i) {
      DeliveryRow r;
      r.provider_id = provider_id_;
      r.event_id = "ev-" + std::to_string(i);
      r.event_type = "print_complete";
      r.notification = "{}";
      r.next_attempt_at_ms = next_ms;
      r.created_at_ms = r.updated_at_ms = next_ms;
      rows.push_back(r);
    }
    std::vector<int64_t> ids;
    for (const DeliveryRow& r : outbox_->insert(rows)) {
      ids.push_back(r.id);
    }
    return ids;
  }

  static testing::PostgresServer* server_;
  static int databases_;
  std::FILE* log_file_ = std::tmpfile();
  Logger logger_{LogLevel::Warn, log_file_};
  testing::TempDir dir_;
  std::string url_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<OutboxStore> outbox_;
  int64_t provider_id_ = 0;
};

testing::PostgresServer* OutboxClaimsTest::server_ = nullptr;
int OutboxClaimsTest::databases_ = 0;

TEST_P(OutboxClaimsTest, ADueRowIsClaimedByOneInstanceUntilItsClaimRunsOut) {
  const std::vector<int64_t> ids = insertDue(3, 1000);
  const int64_t later = insertDue(1, 5000)[0]; // not due yet: nobody claims it

  EXPECT_EQ(outbox_->claimDue(provider_id_, 1000, 10, "a", 2000), ids);
  EXPECT_TRUE(outbox_->claimDue(provider_id_, 1500, 10, "b", 2500).empty()) << "a's claims still hold";
  const std::optional<DeliveryRow> claimed = outbox_->find(ids[0]);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->claimed_by, "a");
  EXPECT_EQ(claimed->claim_until_ms, 2000);

  outbox_->renewClaims("a", {ids[0], ids[1]}, 4000);
  outbox_->renewClaims("b", {ids[2]}, 9000); // not b's: nothing changes
  EXPECT_EQ(outbox_->find(ids[2])->claim_until_ms, 2000);
  EXPECT_EQ(outbox_->claimDue(provider_id_, 2100, 10, "b", 9000), std::vector<int64_t>{ids[2]})
      << "only the claim that was not renewed ran out";
  EXPECT_EQ(outbox_->find(ids[2])->claimed_by, "b");
  EXPECT_EQ(outbox_->claimDue(provider_id_, 2100, 10, "a", 6000), (std::vector<int64_t>{ids[0], ids[1]}))
      << "an instance may claim its own rows again (renewing them)";

  // Storing an attempt's outcome ends the claim: a retry is claimed afresh when it is due.
  DeliveryRow retry = *outbox_->find(ids[0]);
  retry.status = status::kRetrying;
  retry.next_attempt_at_ms = 3000;
  outbox_->save(retry);
  EXPECT_EQ(outbox_->find(ids[0])->claimed_by, "");
  EXPECT_EQ(outbox_->claimDue(provider_id_, 3000, 10, "b", 9000), (std::vector<int64_t>{ids[0], ids[2]}))
      << "the retry now due, then b's own row";
  EXPECT_EQ(outbox_->claimDue(provider_id_, 5000, 2, "a", 9000), (std::vector<int64_t>{later, ids[1]}))
      << "what nobody holds comes before the rows the instance holds already";
}

TEST_P(OutboxClaimsTest, GivingClaimsBackLetsTheNextInstanceTakeThemAtOnce) {
  const std::vector<int64_t> ids = insertDue(4, 1000);
  ASSERT_EQ(outbox_->claimDue(provider_id_, 1000, 10, "a", 60000).size(), 4u);
  DeliveryRow done = *outbox_->find(ids[3]);
  done.status = status::kDelivered;
  done.next_attempt_at_ms = 0;
  outbox_->save(done);

  EXPECT_EQ(outbox_->releaseClaims("a", {ids[0]}), 2) << "the kept one and the finished one stay";
  EXPECT_EQ(outbox_->claimDue(provider_id_, 1100, 10, "b", 60000), (std::vector<int64_t>{ids[1], ids[2]}));
  EXPECT_EQ(outbox_->find(ids[0])->claimed_by, "a");

  EXPECT_EQ(outbox_->releaseClaims(""), 3) << "a server alone at start takes over everybody's";
  EXPECT_EQ(outbox_->claimDue(provider_id_, 1100, 10, "c", 60000),
            (std::vector<int64_t>{ids[0], ids[1], ids[2]}));
}

TEST_P(OutboxClaimsTest, InstancesClaimingAtOnceNeverGetTheSameRow) {
  constexpr size_t kRows = 300;
  const std::vector<int64_t> ids = insertDue(kRows, 1000);
  constexpr int kInstances = 3;
  std::vector<std::vector<int64_t>> got(kInstances);
  std::vector<std::thread> threads;
  for (int i = 0; i < kInstances; ++i) {
    threads.emplace_back([this, i, &got] {
      // SQLite serves one server process: its threads share the pool. PostgreSQL: a pool each.
      std::unique_ptr<storage::Database> own = url_.empty() ? nullptr : open();
      OutboxStore outbox(own ? *own : *db_);
      const std::string owner = "instance-" + std::to_string(i);
      std::set<int64_t> seen;
      while (true) {
        size_t fresh = 0;
        for (int64_t id : outbox.claimDue(provider_id_, 1000, 7, owner, 60000)) {
          if (seen.insert(id).second) {
            got[i].push_back(id);
            ++fresh;
          }
        }
        if (fresh == 0) {
          break; // only its own rows again: nothing is left unclaimed
        }
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  std::multiset<int64_t> all;
  for (const std::vector<int64_t>& claimed : got) {
    all.insert(claimed.begin(), claimed.end());
  }
  EXPECT_EQ(all.size(), kRows) << "no row claimed twice, none left out";
  EXPECT_EQ(std::set<int64_t>(all.begin(), all.end()), std::set<int64_t>(ids.begin(), ids.end()));
  for (int i = 0; i < kInstances; ++i) {
    for (int64_t id : got[i]) {
      ASSERT_EQ(outbox_->find(id)->claimed_by, "instance-" + std::to_string(i));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, OutboxClaimsTest, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

} // namespace outbox_claims_test
} // namespace bambuddy::notifications
