// The per-day running totals behind list totals and statistics: after any mix of inserts, updates
// and deletes, every filter gives exactly what counting the archives themselves gives.
#include "archives/archive_store.h"
#include "archives/day_counts.h"
#include "archives/statistics.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "support/core_services.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

namespace bambuddy::archives {
namespace {

constexpr int64_t kT0 = 1705276800000; // 2024-01-15T00:00:00Z, a day boundary

struct Sums {
  int64_t n = 0;
  int64_t seconds = 0;
  double grams = 0;
};

bool inFilter(const ArchiveRecord& r, const DayCountFilter& f) {
  int64_t sort = r.started_at_ms.value_or(r.created_at_ms);
  if (f.printer_id && r.printer_id != f.printer_id) {
    return false;
  }
  if (!f.printers_in.empty() && std::find(f.printers_in.begin(), f.printers_in.end(),
                                          r.printer_id.value_or(0)) == f.printers_in.end()) {
    return false;
  }
  if (!f.statuses.empty() && std::find(f.statuses.begin(), f.statuses.end(), r.status) == f.statuses.end()) {
    return false;
  }
  return (!f.since_ms || sort >= *f.since_ms) && (!f.until_ms || sort < *f.until_ms);
}

class DayCountsTest : public ::testing::Test {
protected:
  Sums fromTotals(const DayCountFilter& filter) {
    Sums s;
    for (const DayCount& c :
         core_.database().read([&](soci::session& session) { return readDayCounts(session, filter); })) {
      s.n += c.n;
      s.seconds += c.seconds;
      s.grams += c.grams;
    }
    return s;
  }
  Sums fromArchives(const DayCountFilter& filter) {
    Sums s;
    for (const auto& [id, r] : live_) {
      if (inFilter(r, filter)) {
        ++s.n;
        s.seconds += r.duration_s.value_or(0);
        s.grams += r.filament_used_g.value_or(0);
      }
    }
    return s;
  }

  testing::CoreServices core_;
  ArchiveStore store_{core_.database()};
  std::map<int64_t, ArchiveRecord> live_;
};

TEST_F(DayCountsTest, TotalsMatchTheArchivesUnderEveryFilter) {
  std::mt19937 rng(7);
  const char* statuses[] = {"uploaded", "printing", "success", "failed", "cancelled"};
  auto randomRecord = [&] {
    ArchiveRecord r;
    r.status = statuses[rng() % 5];
    r.name = "part";
    r.notes = "";
    if (r.status != "uploaded") {
      r.printer_id = 1 + static_cast<int64_t>(rng() % 3);
      r.printer_name = "P" + std::to_string(*r.printer_id);
      r.started_at_ms = kT0 + static_cast<int64_t>(rng() % (5 * kDayMs));
      r.duration_s = static_cast<int64_t>(rng() % 7200);
      r.filament_used_g = (rng() % 1000) / 10.0;
    }
    r.created_at_ms = kT0 + static_cast<int64_t>(rng() % (5 * kDayMs));
    r.updated_at_ms = r.created_at_ms;
    return r;
  };
  for (int i = 0; i < 300; ++i) {
    ArchiveRecord r = store_.insert(randomRecord());
    live_[r.id] = r;
  }
  // Changes that move archives between groups (status, printer, day) and change the sums.
  int updated = 0;
  for (auto& [id, r] : live_) {
    if (id % 3 == 0) {
      ArchiveRecord changed = randomRecord();
      changed.id = id;
      ASSERT_TRUE(store_.update(changed));
      r = changed;
      ++updated;
    }
  }
  int removed = 0;
  for (auto it = live_.begin(); it != live_.end();) {
    if (it->first % 5 == 0) {
      ASSERT_TRUE(store_.remove(it->first));
      it = live_.erase(it);
      ++removed;
    } else {
      ++it;
    }
  }
  ASSERT_GT(updated, 50);
  ASSERT_GT(removed, 30);
  EXPECT_FALSE(store_.update([] {
    ArchiveRecord gone;
    gone.id = 999999;
    gone.status = "success";
    return gone;
  }()));
  EXPECT_FALSE(store_.remove(999999));

  std::vector<DayCountFilter> filters;
  filters.push_back({});
  filters.push_back({3, {}, {}, {}});
  filters.push_back({{}, {"success", "failed", "cancelled"}, {}, {}});
  filters.push_back({{}, {"uploaded"}, {}, {}});
  // Ranges on day boundaries, inside one day, across days with partial edges, open on one side.
  filters.push_back({{}, {}, kT0 + kDayMs, kT0 + 3 * kDayMs});
  filters.push_back({{}, {}, kT0 + kDayMs + 3600000, kT0 + kDayMs + 7200000});
  filters.push_back({2, {"success"}, kT0 + kDayMs / 2, kT0 + 3 * kDayMs + 12345});
  filters.push_back({{}, {}, kT0 + 2 * kDayMs + 1, {}});
  filters.push_back({{}, {"failed"}, {}, kT0 + 2 * kDayMs - 1});
  filters.push_back({{}, {}, kT0 + 3 * kDayMs, kT0 + kDayMs}); // empty range
  // A key limited to printers: with and without the uploads (0), combined with the other filters.
  filters.push_back({{}, {}, {}, {}, {1, 2}});
  filters.push_back({{}, {}, {}, {}, {0, 2}});
  filters.push_back({{}, {"success", "failed", "cancelled"}, kT0 + kDayMs / 2, kT0 + 4 * kDayMs + 99, {3}});
  filters.push_back({3, {}, {}, {}, {1, 2}}); // a printer outside the list: nothing
  for (std::size_t i = 0; i < filters.size(); ++i) {
    Sums want = fromArchives(filters[i]);
    Sums got = fromTotals(filters[i]);
    EXPECT_EQ(got.n, want.n) << "filter " << i;
    EXPECT_EQ(got.seconds, want.seconds) << "filter " << i;
    EXPECT_NEAR(got.grams, want.grams, 1e-6) << "filter " << i;
  }
  // A printer id that no archive can have gives nothing, not the uploads' "no printer" group.
  EXPECT_EQ(fromTotals({0, {}, {}, {}}).n, 0);

  // List totals come from the same numbers.
  ArchiveFilter list;
  list.status = "success";
  list.since_ms = kT0 + kDayMs / 3;
  list.limit = 1;
  DayCountFilter same{{}, {"success"}, list.since_ms, {}};
  EXPECT_EQ(store_.list(list).total, fromArchives(same).n);
  // A limited list holds only its printers' archives (and uploads when 0 is listed), its total too.
  ArchiveFilter limited;
  limited.printers_in = {0, 2};
  limited.limit = 1000;
  ArchivePage page = store_.list(limited);
  EXPECT_EQ(page.total, fromArchives({{}, {}, {}, {}, {0, 2}}).n);
  EXPECT_EQ(static_cast<int64_t>(page.items.size()), page.total);
  for (const ArchiveRecord& r : page.items) {
    EXPECT_TRUE(!r.printer_id || *r.printer_id == 2) << r.id;
  }
  limited.q = "part"; // the counted (not summed) total of a search
  EXPECT_EQ(store_.list(limited).total, page.total);
  // Statistics over printers 1 and 2 only.
  StatisticsFilter stats;
  stats.printers_in = {1, 2};
  nlohmann::json st = computeStatistics(core_.database(), stats, CostSettings{});
  EXPECT_EQ(st["total_prints"], fromArchives({{}, {"success", "failed", "cancelled"}, {}, {}, {1, 2}}).n);
  for (const auto& p : st["per_printer"]) {
    EXPECT_TRUE(p["printer_id"] == 1 || p["printer_id"] == 2) << p.dump();
  }
}

TEST_F(DayCountsTest, ManyGroupsAreAllRead) {
  // More groups than one fetch batch holds (512).
  for (int i = 0; i < 1300; ++i) {
    ArchiveRecord r;
    r.status = "success";
    r.name = "x";
    r.printer_id = 1 + i % 2;
    r.printer_name = i % 2 ? "B" : "A";
    r.started_at_ms = kT0 + static_cast<int64_t>(i / 2) * kDayMs;
    r.created_at_ms = *r.started_at_ms;
    r.duration_s = i;
    live_[store_.insert(r).id] = r;
  }
  auto groups = core_.database().read([&](soci::session& s) { return readDayCounts(s, {}); });
  EXPECT_EQ(groups.size(), 1300u);
  Sums want = fromArchives({});
  Sums got = fromTotals({});
  EXPECT_EQ(got.n, 1300);
  EXPECT_EQ(got.seconds, want.seconds);
  nlohmann::json stats = computeStatistics(core_.database(), {}, {});
  EXPECT_EQ(stats["total_prints"], 1300);
  EXPECT_EQ(stats["per_day"].size(), 650u);
  EXPECT_EQ(stats["per_printer"].size(), 2u);
  EXPECT_EQ(stats["per_printer"][1]["printer"], "B");
}

TEST_F(DayCountsTest, EmptiedGroupsLeaveNoRows) {
  ArchiveRecord r;
  r.status = "success";
  r.name = "x";
  r.printer_id = 1;
  r.started_at_ms = kT0;
  r.created_at_ms = kT0;
  r = store_.insert(r);
  ASSERT_TRUE(store_.remove(r.id));
  long long rows = -1;
  core_.database().read(
      [&](soci::session& s) { s << "SELECT COUNT(*) FROM archive_day_counts", soci::into(rows); });
  EXPECT_EQ(rows, 0);
}

TEST(DayCountsMigration, ExistingArchivesAreCountedOnUpgrade) {
  testing::CoreServices core; // only for its temp dir and logger
  storage::DatabaseOptions options;
  options.path = core.dir().file("upgrade.db");
  storage::Database db(options, core.logger());
  const auto& all = storage::coreMigrations();
  std::vector<storage::Migration> before_counts;
  for (const auto& m : all) {
    if (m.version < 6) {
      before_counts.push_back(m);
    }
  }
  storage::migrate(db, before_counts, core.logger());
  db.write([&](soci::session& s) {
    s << "INSERT INTO archives (id, status, name, printer_id, printer_name, duration_s, filament_used_g, "
         "notes, "
         "tags, favourite, sort_at_ms, created_at_ms, updated_at_ms) VALUES "
         "(1, 'success', 'a', 1, 'P1', 100, 2.5, '', '[]', 0, 1705276800000, 1, 1), "
         "(2, 'success', 'b', 1, 'P1', 50, 1.5, '', '[]', 0, 1705280000000, 1, 1), "
         "(3, 'uploaded', 'c', NULL, NULL, NULL, NULL, '', '[]', 0, 1705290000000, 1, 1)";
  });
  storage::migrate(db, all, core.logger());
  std::vector<DayCount> counts = db.read([&](soci::session& s) { return readDayCounts(s, {}); });
  ASSERT_EQ(counts.size(), 2u);
  std::sort(counts.begin(), counts.end(),
            [](const DayCount& a, const DayCount& b) { return a.status < b.status; });
  EXPECT_EQ(counts[0].status, "success");
  EXPECT_EQ(counts[0].n, 2);
  EXPECT_EQ(counts[0].seconds, 150);
  EXPECT_DOUBLE_EQ(counts[0].grams, 4.0);
  EXPECT_EQ(counts[0].printer_name, "P1");
  EXPECT_EQ(counts[1].status, "uploaded");
  EXPECT_EQ(counts[1].printer_id, 0);
  ArchiveFilter filter;
  EXPECT_EQ(ArchiveStore(db).list(filter).total, 3);
}

TEST(DayCountsDay, FloorAlsoBefore1970) {
  EXPECT_EQ(utcDayOf(0), 0);
  EXPECT_EQ(utcDayOf(kDayMs - 1), 0);
  EXPECT_EQ(utcDayOf(kDayMs), 1);
  EXPECT_EQ(utcDayOf(-1), -1);
  EXPECT_EQ(utcDayOf(-kDayMs), -1);
  EXPECT_EQ(utcDayOf(-kDayMs - 1), -2);
}

} // namespace
} // namespace bambuddy::archives
