// The per-day running totals behind list totals and statistics: after any mix of inserts, updates
// and deletes, every filter gives exactly what counting the archives themselves gives.
#include "archives/archive_store.h"
#include "archives/day_counts.h"
#include "archives/statistics.h"
#include "common/periods.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "support/core_services.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <tuple>

namespace bambuddy::archives {
namespace day_counts_test {

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

  // An archive of any status at a random time in [start_ms, start_ms + span_ms): uploads mostly
  // without a printer, prints on one of `printers` with a duration and filament (multiples of 1/8 g,
  // exact in binary, so sums compare exactly).
  ArchiveRecord randomRecord(int64_t start_ms, int64_t span_ms, int printers) {
    static const char* const kStatuses[] = {"uploaded", "printing", "success", "failed", "cancelled"};
    ArchiveRecord r;
    r.status = kStatuses[rng_() % 5];
    r.name = "part";
    r.notes = "";
    if (r.status != "uploaded" || rng_() % 4 == 0) {
      r.printer_id = 1 + static_cast<int64_t>(rng_() % static_cast<uint64_t>(printers));
      r.printer_name = "P" + std::to_string(*r.printer_id);
      r.started_at_ms = start_ms + static_cast<int64_t>(rng_() % static_cast<uint64_t>(span_ms));
      r.duration_s = static_cast<int64_t>(rng_() % 7200);
      r.filament_used_g = static_cast<double>(rng_() % 1000) / 8.0;
    }
    r.created_at_ms = start_ms + static_cast<int64_t>(rng_() % static_cast<uint64_t>(span_ms));
    r.updated_at_ms = r.created_at_ms;
    return r;
  }
  void insertRandom(int count, int64_t start_ms, int64_t span_ms, int printers) {
    for (int i = 0; i < count; ++i) {
      ArchiveRecord r = store_.insert(randomRecord(start_ms, span_ms, printers));
      live_[r.id] = r;
    }
  }

  testing::CoreServices core_;
  ArchiveStore store_{core_.database()};
  std::map<int64_t, ArchiveRecord> live_;
  std::mt19937_64 rng_{7};
};

TEST_F(DayCountsTest, TotalsMatchTheArchivesUnderEveryFilter) {
  auto randomRecord = [&] { return this->randomRecord(kT0, 5 * kDayMs, 3); };
  insertRandom(300, kT0, 5 * kDayMs, 3);
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
  // 650 days (from a Monday) are too many for a daily series: 93 weeks, each named by its Monday.
  EXPECT_EQ(stats["bucket"], "week");
  ASSERT_EQ(stats["series"].size(), 93u);
  EXPECT_EQ(stats["series"][0]["date"], "2024-01-15");
  EXPECT_EQ(stats["series"][0]["total_prints"], 14);
  EXPECT_EQ(stats["series"][1]["date"], "2024-01-22");
  EXPECT_EQ(stats["per_printer"].size(), 2u);
  EXPECT_EQ(stats["per_printer"][1]["printer"], "B");
  // A range of 60 days is a daily series.
  StatisticsFilter recent;
  recent.since_ms = kT0 + 100 * kDayMs;
  recent.until_ms = kT0 + 160 * kDayMs;
  stats = computeStatistics(core_.database(), recent, {});
  EXPECT_EQ(stats["bucket"], "day");
  EXPECT_EQ(stats["series"].size(), 60u);
  EXPECT_EQ(stats["total_prints"], 120);
}

// Brute force against the roll-ups: archives over four years, changed in every way that moves them
// between groups, then totals and series for random ranges (many on month and year boundaries).
TEST_F(DayCountsTest, RollupsMatchTheArchivesAcrossYears) {
  constexpr int64_t kStart = 1672531200000;              // 2023-01-01T00:00:00Z
  constexpr int64_t kSpanMs = 4 * 365 * kDayMs + kDayMs; // to 2027-01-01, a leap year inside
  insertRandom(10000, kStart, kSpanMs, 4);
  std::mt19937_64& rng = rng_;
  const char* statuses[] = {"uploaded", "printing", "success", "failed", "cancelled"};
  int changed = 0;
  for (auto it = live_.begin(); it != live_.end();) {
    const uint64_t pick = rng() % 10;
    if (pick == 0) {
      ASSERT_TRUE(store_.remove(it->first));
      it = live_.erase(it);
      continue;
    }
    if (pick <= 2) {
      ArchiveRecord r = it->second;
      if (pick == 1) {
        r.status = statuses[rng() % 5]; // a print ends, or is marked otherwise
      } else if (r.printer_id) {
        r.printer_id = 1 + static_cast<int64_t>(rng() % 4); // reassigned to another printer
        r.started_at_ms = kStart + static_cast<int64_t>(rng() % kSpanMs);
      }
      ASSERT_TRUE(store_.update(r));
      it->second = r;
      ++changed;
    }
    ++it;
  }
  ASSERT_GT(changed, 1000);

  // The roll-up tables hold exactly the sums of the archives per period.
  for (Period kind : {Period::Week, Period::Month, Period::Year}) {
    std::map<std::tuple<std::string, int64_t, int64_t>, Sums> want;
    for (const auto& [id, r] : live_) {
      const int64_t day = utcDayOf(r.started_at_ms.value_or(r.created_at_ms));
      Sums& sums = want[{r.status, periodStart(kind, day), r.printer_id.value_or(0)}];
      ++sums.n;
      sums.seconds += r.duration_s.value_or(0);
      sums.grams += r.filament_used_g.value_or(0);
    }
    std::map<std::tuple<std::string, int64_t, int64_t>, Sums> got;
    core_.database().read([&](soci::session& s) {
      soci::rowset<soci::row> rows =
          (s.prepare << "SELECT status, period, printer_id, n, seconds, grams FROM archive_period_counts "
                        "WHERE kind = :k",
           soci::use(static_cast<int>(kind)));
      for (const soci::row& row : rows) {
        Sums& sums = got[{row.get<std::string>(0), row.get<long long>(1), row.get<long long>(2)}];
        sums.n = row.get<long long>(3);
        sums.seconds = row.get<long long>(4);
        sums.grams = row.get<double>(5);
      }
    });
    ASSERT_EQ(got.size(), want.size()) << periodName(kind);
    for (const auto& [key, sums] : want) {
      ASSERT_EQ(got[key].n, sums.n) << periodName(kind) << " " << std::get<0>(key) << " " << std::get<1>(key);
      ASSERT_EQ(got[key].seconds, sums.seconds);
      ASSERT_EQ(got[key].grams, sums.grams);
    }
  }

  // Random ranges: any millisecond, whole days, month and year starts; open on either side.
  auto randomTime = [&]() -> int64_t {
    const int64_t t = kStart - 40 * kDayMs + static_cast<int64_t>(rng() % (kSpanMs + 80 * kDayMs));
    switch (rng() % 4) {
    case 0:
      return t;
    case 1:
      return utcDayOf(t) * kDayMs;
    case 2:
      return periodStart(Period::Month, utcDayOf(t)) * kDayMs;
    default:
      return periodStart(Period::Year, utcDayOf(t)) * kDayMs + (rng() % 2 ? 0 : 1);
    }
  };
  const std::vector<std::vector<std::string>> status_sets = {
      {}, {"success"}, {"success", "failed", "cancelled"}, {"uploaded", "printing"}};
  for (int round = 0; round < 200; ++round) {
    DayCountFilter f;
    if (rng() % 6 != 0) {
      f.since_ms = randomTime();
    }
    if (rng() % 6 != 0) {
      f.until_ms = randomTime();
    }
    if (f.since_ms && f.until_ms && *f.since_ms > *f.until_ms) {
      std::swap(*f.since_ms, *f.until_ms);
    }
    if (rng() % 3 == 0) {
      f.printer_id = 1 + static_cast<int64_t>(rng() % 4);
    }
    if (rng() % 5 == 0) {
      f.printers_in = {0, 2, 3};
    }
    f.statuses = status_sets[rng() % status_sets.size()];
    const Period bucket = static_cast<Period>(rng() % 4);
    const std::string label = "round " + std::to_string(round) + " bucket " + periodName(bucket);

    // Brute force: per status and printer, and per status and bucket.
    std::map<std::pair<std::string, int64_t>, Sums> want_groups;
    std::map<std::pair<std::string, int64_t>, Sums> want_series;
    Sums want_all;
    for (const auto& [id, r] : live_) {
      if (!inFilter(r, f)) {
        continue;
      }
      const int64_t day = utcDayOf(r.started_at_ms.value_or(r.created_at_ms));
      for (Sums* sums : {&want_groups[{r.status, r.printer_id.value_or(0)}],
                         &want_series[{r.status, periodStart(bucket, day)}], &want_all}) {
        ++sums->n;
        sums->seconds += r.duration_s.value_or(0);
        sums->grams += r.filament_used_g.value_or(0);
      }
    }
    auto sum = [](const std::vector<DayCount>& counts, auto key) {
      std::map<decltype(key(counts.front())), Sums> out;
      for (const DayCount& c : counts) {
        Sums& sums = out[key(c)];
        sums.n += c.n;
        sums.seconds += c.seconds;
        sums.grams += c.grams;
      }
      return out;
    };
    const auto none =
        core_.database().read([&](soci::session& s) { return readDayCounts(s, f, kGroupNone); });
    Sums got_all;
    for (const DayCount& c : none) {
      got_all.n += c.n;
      got_all.seconds += c.seconds;
      got_all.grams += c.grams;
    }
    ASSERT_EQ(got_all.n, want_all.n) << label;
    ASSERT_EQ(got_all.seconds, want_all.seconds) << label;
    ASSERT_EQ(got_all.grams, want_all.grams) << label;
    const auto groups =
        core_.database().read([&](soci::session& s) { return readDayCounts(s, f, kByStatus | kByPrinter); });
    if (!groups.empty()) {
      const auto got_groups =
          sum(groups, [](const DayCount& c) { return std::make_pair(c.status, c.printer_id); });
      ASSERT_EQ(got_groups.size(), want_groups.size()) << label;
      for (const auto& [key, sums] : want_groups) {
        ASSERT_EQ(got_groups.at(key).n, sums.n) << label;
        ASSERT_EQ(got_groups.at(key).grams, sums.grams) << label;
      }
    } else {
      ASSERT_TRUE(want_groups.empty()) << label;
    }
    const auto series = core_.database().read(
        [&](soci::session& s) { return readDayCounts(s, f, kByStatus | kByDay, bucket); });
    if (!series.empty()) {
      const auto got_series = sum(series, [](const DayCount& c) { return std::make_pair(c.status, c.day); });
      ASSERT_EQ(got_series.size(), want_series.size()) << label;
      for (const auto& [key, sums] : want_series) {
        ASSERT_EQ(got_series.count(key), 1u) << label << " " << key.first << " " << key.second;
        ASSERT_EQ(got_series.at(key).n, sums.n) << label;
        ASSERT_EQ(got_series.at(key).seconds, sums.seconds) << label;
      }
    } else {
      ASSERT_TRUE(want_series.empty()) << label;
    }
  }
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
  // The roll-ups were filled from the same days: a week, a month and a year row per group.
  for (int kind = 1; kind <= 3; ++kind) {
    long long rows = 0, n = 0;
    db.read([&](soci::session& s) {
      s << "SELECT COUNT(*), SUM(n) FROM archive_period_counts WHERE kind = :k", soci::use(kind),
          soci::into(rows), soci::into(n);
    });
    EXPECT_EQ(rows, 2) << kind;
    EXPECT_EQ(n, 3) << kind;
  }
  long long january = 0;
  db.read([&](soci::session& s) {
    s << "SELECT n FROM archive_period_counts WHERE kind = 2 AND status = 'success' AND period = 19723",
        soci::into(january); // 2024-01-01
  });
  EXPECT_EQ(january, 2);
}

TEST(DayCountsDay, FloorAlsoBefore1970) {
  EXPECT_EQ(utcDayOf(0), 0);
  EXPECT_EQ(utcDayOf(kDayMs - 1), 0);
  EXPECT_EQ(utcDayOf(kDayMs), 1);
  EXPECT_EQ(utcDayOf(-1), -1);
  EXPECT_EQ(utcDayOf(-kDayMs), -1);
  EXPECT_EQ(utcDayOf(-kDayMs - 1), -2);
}

} // namespace day_counts_test
} // namespace bambuddy::archives
