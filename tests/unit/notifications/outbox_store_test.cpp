// The outbox and the provider table on a real SQLite file: what the router writes is there after
// the database is closed and opened again (the restart case), ids are never reused, and the
// workers' queries (due rows, next wake-up, cancel, log pages, trimming) select the right rows.
#include "common/logger.h"
#include "notifications/outbox_store.h"
#include "notifications/provider_store.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

namespace bambuddy::notifications {
namespace outbox_store_test {

using nlohmann::json;

class OutboxStoreTest : public ::testing::Test {
protected:
  OutboxStoreTest() : log_(std::tmpfile()), logger_(LogLevel::Warn, log_) { open(); }
  ~OutboxStoreTest() override {
    db_.reset();
    std::fclose(log_);
  }

  void open() {
    db_.reset();
    storage::DatabaseOptions options;
    options.path = dir_.file("outbox.db");
    db_ = std::make_unique<storage::Database>(options, logger_);
    storage::migrate(*db_, storage::coreMigrations(), logger_);
    outbox_ = std::make_unique<OutboxStore>(*db_);
    providers_ = std::make_unique<ProviderStore>(*db_);
  }

  ProviderRecord provider(const std::string& name) {
    ProviderRecord r;
    r.name = name;
    r.plugin = "notifier.webhook";
    r.source = "api";
    r.settings = {{"url", "http://127.0.0.1:9/hook"}};
    r.created_at_ms = r.updated_at_ms = 1000;
    return providers_->insert(r);
  }

  DeliveryRow row(int64_t provider_id, const std::string& event_id, int64_t next_ms) {
    DeliveryRow r;
    r.provider_id = provider_id;
    r.event_id = event_id;
    r.event_type = "print_complete";
    r.notification =
        json{{"id", event_id}, {"event", "print_complete"}, {"data", {{"printer_id", 1}}}}.dump();
    r.next_attempt_at_ms = next_ms;
    r.created_at_ms = r.updated_at_ms = next_ms;
    return r;
  }

  testing::TempDir dir_;
  std::FILE* log_;
  Logger logger_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<OutboxStore> outbox_;
  std::unique_ptr<ProviderStore> providers_;
};

TEST_F(OutboxStoreTest, PendingRowsSurviveReopeningTheDatabase) {
  int64_t p = provider("ha").id;
  std::vector<int64_t> seen_before_commit;
  auto rows = outbox_->insert({row(p, "evt_a", 100), row(p, "evt_b", 100)},
                              [&](const DeliveryRow& r) { seen_before_commit.push_back(r.id); });
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(seen_before_commit, (std::vector<int64_t>{rows[0].id, rows[1].id}));
  EXPECT_GT(rows[1].id, rows[0].id);

  open(); // as after kill -9: only what was committed counts
  EXPECT_EQ(outbox_->due(p, 100, 10), (std::vector<int64_t>{rows[0].id, rows[1].id}));
  auto found = outbox_->find(rows[1].id);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->event_id, "evt_b");
  EXPECT_EQ(found->status, status::kPending);
  EXPECT_EQ(json::parse(found->notification)["id"], "evt_b");
  EXPECT_EQ(found->history, json::array());
}

TEST_F(OutboxStoreTest, AttemptOutcomesAreStored) {
  int64_t p = provider("ha").id;
  DeliveryRow r = outbox_->insert({row(p, "evt_a", 100)}).front();
  r.status = status::kRetrying;
  r.attempts = 1;
  r.next_attempt_at_ms = 5100;
  r.http_status = 503;
  r.error = "HTTP 503 from the receiver";
  r.response_snippet = "busy";
  r.history.push_back({{"attempt", 1}, {"outcome", "retryable"}});
  r.updated_at_ms = 200;
  outbox_->save(r);
  open();
  DeliveryRow back = *outbox_->find(r.id);
  EXPECT_EQ(back.status, status::kRetrying);
  EXPECT_EQ(back.attempts, 1);
  EXPECT_EQ(back.next_attempt_at_ms, 5100);
  EXPECT_EQ(back.http_status, 503);
  EXPECT_EQ(back.error, "HTTP 503 from the receiver");
  EXPECT_EQ(back.response_snippet, "busy");
  EXPECT_EQ(back.history, r.history);
  EXPECT_EQ(back.updated_at_ms, 200);
}

TEST_F(OutboxStoreTest, DueRowsPerProviderAndTheNextWakeUp) {
  int64_t a = provider("a").id;
  int64_t b = provider("b").id;
  auto rows = outbox_->insert({row(a, "e1", 300), row(a, "e2", 100), row(b, "e3", 100), row(a, "e4", 9000)});
  EXPECT_EQ(outbox_->due(a, 500, 10), (std::vector<int64_t>{rows[1].id, rows[0].id})) << "oldest due first";
  EXPECT_EQ(outbox_->due(a, 500, 1), (std::vector<int64_t>{rows[1].id}));
  EXPECT_EQ(outbox_->due(b, 500, 10), (std::vector<int64_t>{rows[2].id}));
  EXPECT_EQ(outbox_->nextDueAfter(500), 9000);
  DeliveryRow done = rows[3];
  done.status = status::kDelivered;
  outbox_->save(done);
  EXPECT_FALSE(outbox_->nextDueAfter(500).has_value()) << "finished rows never wake anyone";
}

TEST_F(OutboxStoreTest, CancelTouchesOnlyOpenRowsOfThatProvider) {
  int64_t a = provider("a").id;
  int64_t b = provider("b").id;
  auto rows = outbox_->insert({row(a, "e1", 100), row(a, "e2", 100), row(b, "e3", 100)});
  DeliveryRow delivered = rows[1];
  delivered.status = status::kDelivered;
  outbox_->save(delivered);
  EXPECT_EQ(outbox_->cancelPending(a, "provider disabled: gone", 700), 1);
  EXPECT_EQ(outbox_->find(rows[0].id)->status, status::kCancelled);
  EXPECT_EQ(outbox_->find(rows[0].id)->error, "provider disabled: gone");
  EXPECT_EQ(outbox_->find(rows[1].id)->status, status::kDelivered);
  EXPECT_EQ(outbox_->find(rows[2].id)->status, status::kPending);
}

TEST_F(OutboxStoreTest, LogPagesNewestFirstWithStatusFilter) {
  int64_t a = provider("a").id;
  std::vector<DeliveryRow> batch;
  for (int i = 0; i < 5; ++i) {
    batch.push_back(row(a, "e" + std::to_string(i), 100 + i));
  }
  auto rows = outbox_->insert(batch);
  DeliveryRow failed = rows[2];
  failed.status = status::kFailed;
  outbox_->save(failed);
  DeliveryPage page = outbox_->list(a, std::nullopt, 2, 1);
  EXPECT_EQ(page.total, 5);
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].id, rows[3].id);
  EXPECT_EQ(page.items[1].id, rows[2].id);
  DeliveryPage only_failed = outbox_->list(a, std::string(status::kFailed), 10, 0);
  EXPECT_EQ(only_failed.total, 1);
  ASSERT_EQ(only_failed.items.size(), 1u);
  EXPECT_EQ(only_failed.items[0].event_id, "e2");
}

TEST_F(OutboxStoreTest, TrimRemovesOldFinishedRowsAndOrphansOnly) {
  int64_t a = provider("a").id;
  auto rows = outbox_->insert({row(a, "old-done", 100), row(a, "old-pending", 100), row(a, "new-done", 5000),
                               row(999, "orphan", 5000)});
  for (int i : {0, 2}) {
    DeliveryRow r = rows[i];
    r.status = status::kDelivered;
    outbox_->save(r);
  }
  EXPECT_EQ(outbox_->trim(1000), 2); // old-done, and the orphan of provider 999
  EXPECT_FALSE(outbox_->find(rows[0].id).has_value());
  EXPECT_TRUE(outbox_->find(rows[1].id).has_value()) << "pending rows are never trimmed";
  EXPECT_TRUE(outbox_->find(rows[2].id).has_value());
  EXPECT_FALSE(outbox_->find(rows[3].id).has_value());
}

TEST_F(OutboxStoreTest, IdsAreNeverReusedAndProviderRemovalTakesItsLog) {
  ProviderRecord a = provider("a");
  EXPECT_EQ(a.instance_id, "provider-" + std::to_string(a.id));
  auto rows = outbox_->insert({row(a.id, "e1", 100)});
  EXPECT_TRUE(providers_->remove(a.id));
  EXPECT_FALSE(outbox_->find(rows[0].id).has_value());
  ProviderRecord b = provider("b");
  EXPECT_GT(b.id, a.id);
  auto more = outbox_->insert({row(b.id, "e2", 100)});
  EXPECT_GT(more[0].id, rows[0].id);
}

TEST_F(OutboxStoreTest, ProviderRowsRoundTrip) {
  ProviderRecord r;
  r.name = "Night shift";
  r.plugin = "notifier.ntfy";
  r.source = "api";
  r.enabled = false;
  r.settings = {{"topic", "farm"}};
  r.routing.events = std::vector<std::string>{"print_failed"};
  r.routing.printer_ids = std::vector<int64_t>{4};
  r.routing.quiet_hours =
      parseQuietHours(json{{"start", "22:00"}, {"end", "07:00"}, {"timezone", "Europe/Berlin"}});
  r.disabled_reason = "the receiver answered 410 Gone";
  r.disabled_at_ms = 77;
  r.failing_since_ms = 66;
  r.created_at_ms = 10;
  r.updated_at_ms = 20;
  r = providers_->insert(r);
  open();
  ProviderRecord back = *providers_->find(r.id);
  EXPECT_EQ(back.name, "Night shift");
  EXPECT_EQ(back.plugin, "notifier.ntfy");
  EXPECT_FALSE(back.enabled);
  EXPECT_EQ(back.settings, r.settings);
  EXPECT_EQ(eventsJson(back.routing), json{"print_failed"});
  EXPECT_EQ(printerIdsJson(back.routing), json{4});
  EXPECT_EQ(quietHoursJson(back.routing),
            (json{{"start", "22:00"}, {"end", "07:00"}, {"timezone", "Europe/Berlin"}}));
  EXPECT_EQ(back.disabled_reason, r.disabled_reason);
  EXPECT_EQ(back.disabled_at_ms, 77);
  EXPECT_EQ(back.failing_since_ms, 66);
  back.enabled = true;
  back.routing = ProviderRouting{};
  providers_->update(back);
  ProviderRecord again = *providers_->find(r.id);
  EXPECT_TRUE(again.enabled);
  EXPECT_EQ(eventsJson(again.routing), json(nullptr));
}

TEST(DeliveryJson, ShowsTimesAsUtcAndNullsForNone) {
  DeliveryRow r;
  r.id = 4;
  r.provider_id = 2;
  r.event_id = "evt_1";
  r.event_type = "test";
  r.notification = R"({"id":"evt_1","event":"test","timestamp":"2024-01-15T14:30:00Z","data":{}})";
  r.status = status::kRetrying;
  r.attempts = 2;
  r.next_attempt_at_ms = 1705329005000;
  r.created_at_ms = 1705329000000;
  json j = deliveryJson(r);
  EXPECT_EQ(j["next_attempt_at"], "2024-01-15T14:30:05.000Z");
  EXPECT_EQ(j["http_status"], nullptr);
  EXPECT_EQ(j["error"], nullptr);
  EXPECT_EQ(j["delivered_at"], nullptr);
  EXPECT_EQ(j["notification"]["id"], "evt_1");
  r.status = status::kDelivered;
  EXPECT_EQ(deliveryJson(r)["next_attempt_at"], nullptr);
}

} // namespace outbox_store_test
} // namespace bambuddy::notifications
