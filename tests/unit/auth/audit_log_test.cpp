// AuditLog: asynchronous record, filtered listing, trimming by age, bus events from plugins.
#include "auth/audit_log.h"

#include "common/time.h"
#include "support/core_services.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace bambuddy::auth {
namespace audit_log_test {

constexpr int64_t kT0 = 1705329000000;
constexpr int64_t kDay = 24LL * 3600 * 1000;

AuditEntry entry(const std::string& kind, int64_t at_ms, const std::string& principal = "",
                 const std::string& ip = "") {
  AuditEntry e;
  e.kind = kind;
  e.at_ms = at_ms;
  e.principal_id = principal;
  e.client_ip = ip;
  e.method = "GET";
  e.path = "/api/v1/printers";
  return e;
}

class AuditLogTest : public ::testing::Test {
protected:
  testing::CoreServices core_;
};

TEST_F(AuditLogTest, RecordsAndListsNewestFirst) {
  AuditLog log(core_.database(), core_.bus(), core_.logger(), 90 * kDay);
  log.record(entry("auth_failed", kT0, "", "203.0.113.5"));
  AuditEntry forbidden = entry("forbidden", kT0 + 1000, "key-1", "127.0.0.1");
  forbidden.principal_name = "ci";
  forbidden.key_prefix = "bb_AbCdEfGhIjKlMn"; // more than a prefix: cut to 8
  forbidden.reason = "missing permission admin";
  forbidden.detail_json = R"({"required":"admin"})";
  log.record(forbidden);
  ASSERT_TRUE(log.flush(5000));

  AuditPage page = log.list({});
  ASSERT_EQ(page.total, 2);
  ASSERT_EQ(page.items.size(), 2u);
  const AuditEntry& top = page.items[0];
  EXPECT_GT(top.id, 0);
  EXPECT_EQ(top.kind, "forbidden");
  EXPECT_EQ(top.at_ms, kT0 + 1000);
  EXPECT_EQ(top.principal_id, "key-1");
  EXPECT_EQ(top.principal_name, "ci");
  EXPECT_EQ(top.key_prefix, "bb_AbCdE");
  EXPECT_EQ(top.client_ip, "127.0.0.1");
  EXPECT_EQ(top.method, "GET");
  EXPECT_EQ(top.reason, "missing permission admin");
  EXPECT_EQ(top.detail_json, R"({"required":"admin"})");
  EXPECT_EQ(page.items[1].kind, "auth_failed");
  EXPECT_EQ(page.items[1].principal_id, "");
  EXPECT_EQ(log.stats().recorded, 2u);
}

TEST_F(AuditLogTest, FiltersAndPages) {
  AuditLog log(core_.database(), core_.bus(), core_.logger(), 90 * kDay);
  for (int i = 0; i < 10; ++i) {
    log.record(entry(i % 2 == 0 ? "forbidden" : "rate_limited", kT0 + i * 1000, i < 5 ? "a" : "b",
                     i < 3 ? "10.0.0.1" : "10.0.0.2"));
  }
  ASSERT_TRUE(log.flush(5000));

  AuditFilter f;
  f.kind = "forbidden";
  EXPECT_EQ(log.list(f).total, 5);
  f = {};
  f.principal_id = "b";
  EXPECT_EQ(log.list(f).total, 5);
  f = {};
  f.client_ip = "10.0.0.1";
  EXPECT_EQ(log.list(f).total, 3);
  f = {};
  f.since_ms = kT0 + 2000;
  f.until_ms = kT0 + 5000; // exclusive
  EXPECT_EQ(log.list(f).total, 3);
  f = {};
  f.kind = "rate_limited";
  f.principal_id = "b";
  f.since_ms = kT0 + 6000;
  EXPECT_EQ(log.list(f).total, 2);

  f = {};
  f.limit = 3;
  f.offset = 2;
  AuditPage page = log.list(f);
  EXPECT_EQ(page.total, 10);
  ASSERT_EQ(page.items.size(), 3u);
  EXPECT_EQ(page.items[0].at_ms, kT0 + 7000);
  EXPECT_EQ(page.items[2].at_ms, kT0 + 5000);
}

TEST_F(AuditLogTest, TrimDropsOldRows) {
  AuditLog log(core_.database(), core_.bus(), core_.logger(), 30 * kDay);
  log.record(entry("auth_failed", kT0 - 40 * kDay));
  log.record(entry("auth_failed", kT0 - 31 * kDay));
  log.record(entry("auth_failed", kT0 - 29 * kDay));
  log.record(entry("auth_failed", kT0));
  ASSERT_TRUE(log.flush(5000));
  EXPECT_EQ(log.trim(kT0), 2u);
  EXPECT_EQ(log.list({}).total, 2);
  EXPECT_EQ(log.trim(kT0), 0u);
}

TEST_F(AuditLogTest, UnknownKindsAreRefused) {
  AuditLog log(core_.database(), core_.bus(), core_.logger(), kDay);
  log.record(entry("made_up", kT0));
  ASSERT_TRUE(log.flush(5000));
  EXPECT_EQ(log.list({}).total, 0);
  EXPECT_NE(core_.log().find("unknown kind 'made_up'"), std::string::npos);
}

TEST_F(AuditLogTest, FullQueueDropsAndCounts) {
  // One pooled session, held by the test: the writer cannot store anything meanwhile, so the
  // bounded queue must refuse what does not fit instead of blocking record().
  storage::DatabaseOptions options;
  options.path = core_.dir().file("single.db");
  options.pool_size = 1;
  storage::Database db(options, core_.logger());
  storage::migrate(db, storage::coreMigrations(), core_.logger());
  AuditLog log(db, core_.bus(), core_.logger(), 90 * kDay, 4);
  ASSERT_TRUE(log.flush(5000)); // the start-up trim is done
  db.read([&](soci::session&) {
    for (int i = 0; i < 1000; ++i) {
      log.record(entry("forbidden", kT0 + i));
    }
    return 0;
  });
  ASSERT_TRUE(log.flush(5000));
  const AuditStats stats = log.stats();
  EXPECT_EQ(stats.recorded + stats.dropped, 1000u);
  EXPECT_LE(stats.recorded, 8u); // one batch taken before the writer blocked, one queue-full
  EXPECT_EQ(log.list({}).total, static_cast<int64_t>(stats.recorded));
  EXPECT_NE(core_.log().find("audit queue full: dropped 1 entry since the last warning"), std::string::npos);
}

TEST_F(AuditLogTest, PluginsRecordKeyEventsThroughTheBus) {
  AuditLog log(core_.database(), core_.bus(), core_.logger(), 90 * kDay);
  nlohmann::json created = {{"kind", "key_created"},
                            {"principal_id", "key-admin"},
                            {"principal_name", "admin"},
                            {"key_prefix", "bb_Xy12zzzzzzzzzzzzzzzzzzzzz"},
                            {"client_ip", "127.0.0.1"},
                            {"path", "/api/v1/api-keys"},
                            {"reason", ""},
                            {"detail", {{"key_id", "key-7"}, {"name", "ci"}}}};
  ASSERT_TRUE(core_.bus().publish("audit_event", created.dump()));
  ASSERT_TRUE(core_.bus().publish("audit_event", R"({"kind":"auth_failed"})")); // not a plugin's to record
  ASSERT_TRUE(core_.bus().publish("audit_event", "not json"));
  ASSERT_TRUE(core_.bus().waitIdle(5000));
  ASSERT_TRUE(log.flush(5000));
  AuditPage page = log.list({});
  ASSERT_EQ(page.total, 1);
  EXPECT_EQ(page.items[0].kind, "key_created");
  EXPECT_EQ(page.items[0].key_prefix, "bb_Xy12z");
  EXPECT_EQ(nlohmann::json::parse(page.items[0].detail_json)["key_id"], "key-7");
  EXPECT_NE(core_.log().find("audit_event of kind 'auth_failed' ignored"), std::string::npos);
}

TEST_F(AuditLogTest, QueuedEntriesAreStoredOnShutdown) {
  {
    AuditLog log(core_.database(), core_.bus(), core_.logger(), 90 * kDay);
    for (int i = 0; i < 50; ++i) {
      log.record(entry("forbidden", kT0 + i));
      log.record(entry("auth_failed", kT0 + i, "", "192.0.2.1"));
    }
  }
  AuditLog reopened(core_.database(), core_.bus(), core_.logger(), 90 * kDay * 1000);
  EXPECT_EQ(reopened.list({}).total, 51);
  AuditFilter f;
  f.kind = "auth_failed";
  AuditPage failures = reopened.list(f);
  ASSERT_EQ(failures.items.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(failures.items[0].detail_json)["count"], 50);
}

// Regression (issue 13): every 401 wrote a row, so a flood grew the audit log without bound.
TEST_F(AuditLogTest, FailuresAreAggregatedPerAddressAndMinute) {
  AuditLog log(core_.database(), core_.bus(), core_.logger(), 90 * kDay);
  auto failure = [](int64_t at_ms, const std::string& ip, const std::string& reason, bool throttled = false) {
    AuditEntry e = entry("auth_failed", at_ms, "", ip);
    e.reason = reason;
    e.throttled = throttled;
    e.key_prefix = reason == "missing_api_key" ? "" : "bb_Guess";
    return e;
  };
  for (int i = 0; i < 1000; ++i) {
    log.record(
        failure(kT0 + i * 50, "198.51.100.1", i % 4 == 0 ? "missing_api_key" : "invalid_api_key", i >= 900));
  }
  ASSERT_TRUE(log.flush(5000));
  // More failures of the same minute update the same row.
  for (int i = 0; i < 10; ++i) {
    log.record(failure(kT0 + 55000 + i, "198.51.100.1", "api_key_expired"));
  }
  log.record(failure(kT0 + 1000, "198.51.100.2", "invalid_api_key"));
  log.record(failure(kT0 + 60000, "198.51.100.1", "invalid_api_key")); // the next minute
  ASSERT_TRUE(log.flush(5000));

  AuditFilter f;
  f.kind = "auth_failed";
  AuditPage page = log.list(f);
  ASSERT_EQ(page.total, 3);
  // Newest first: the next minute's row, then the two rows of the first minute.
  EXPECT_EQ(page.items[0].at_ms, kT0 + 60000);
  EXPECT_EQ(nlohmann::json::parse(page.items[0].detail_json)["count"], 1);
  f.client_ip = "198.51.100.1";
  f.until_ms = kT0 + 60000;
  page = log.list(f);
  ASSERT_EQ(page.items.size(), 1u);
  const AuditEntry& row = page.items[0];
  EXPECT_EQ(row.at_ms, kT0) << "the row keeps the first failure's time";
  EXPECT_EQ(row.reason, "missing_api_key");
  EXPECT_EQ(row.path, "/api/v1/printers");
  nlohmann::json detail = nlohmann::json::parse(row.detail_json);
  EXPECT_EQ(detail["count"], 1010);
  EXPECT_EQ(detail["throttled"], 100);
  EXPECT_EQ(detail["window_s"], 60);
  EXPECT_EQ(detail["reasons"],
            (nlohmann::json{{"missing_api_key", 250}, {"invalid_api_key", 750}, {"api_key_expired", 10}}));
  EXPECT_EQ(log.stats().recorded, 1012u);
  EXPECT_EQ(log.stats().dropped, 0u);
}

TEST_F(AuditLogTest, ManyAddressesAreBoundedInMemory) {
  AuditLog log(core_.database(), core_.bus(), core_.logger(), 90 * kDay);
  const int addresses = static_cast<int>(AuditLog::kMaxFailureTallies) + 100;
  for (int i = 0; i < addresses; ++i) {
    log.record(entry("auth_failed", kT0, "",
                     "10." + std::to_string(i / 65536) + "." + std::to_string((i / 256) % 256) + "." +
                         std::to_string(i % 256)));
  }
  ASSERT_TRUE(log.flush(20000));
  const AuditStats stats = log.stats();
  EXPECT_EQ(stats.recorded + stats.dropped, static_cast<uint64_t>(addresses));
  EXPECT_GE(stats.recorded, AuditLog::kMaxFailureTallies);
  // A later minute frees the finished ones.
  log.record(entry("auth_failed", kT0 + 60000, "", "192.0.2.1"));
  log.record(entry("auth_failed", kT0 + 60000, "", "192.0.2.2"));
  ASSERT_TRUE(log.flush(5000));
  EXPECT_EQ(log.stats().recorded, stats.recorded + 2);
}

// The retention setting is enforced: rows older than audit.retention_days go at start (and hourly).
TEST_F(AuditLogTest, RetentionIsEnforcedAtStart) {
  const int64_t now = nowUtcMs();
  {
    AuditLog log(core_.database(), core_.bus(), core_.logger(), 3650 * kDay);
    log.record(entry("forbidden", now - 91 * kDay));
    log.record(entry("auth_failed", now - 200 * kDay, "", "192.0.2.1"));
    log.record(entry("forbidden", now - 89 * kDay));
    log.record(entry("forbidden", now - 1000));
    ASSERT_TRUE(log.flush(5000));
    ASSERT_EQ(log.list({}).total, 4);
  }
  AuditLog log(core_.database(), core_.bus(), core_.logger(), 90 * kDay);
  ASSERT_TRUE(log.flush(5000)); // the start-up trim has run
  AuditPage page = log.list({});
  ASSERT_EQ(page.total, 2);
  EXPECT_GE(page.items[1].at_ms, now - 89 * kDay);
  EXPECT_NE(core_.log().find("trimmed 2 audit entries older than"), std::string::npos) << core_.log();
}

} // namespace audit_log_test
} // namespace bambuddy::auth
