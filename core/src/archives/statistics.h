// GET /api/v1/statistics: totals over finished prints (success, failed, cancelled), per printer and
// as a series of UTC days, weeks or months chosen from the range, from the running totals and their
// roll-ups (day_counts.h), so neither the cost nor the answer's size grows with the number of
// archives.
#pragma once

#include "common/periods.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace bambuddy::storage {
class Database;
}

namespace bambuddy::archives {

struct StatisticsFilter {
  std::optional<int64_t> since_ms; // print started at or after
  std::optional<int64_t> until_ms; // print started before
  std::optional<int64_t> printer_id;
  std::vector<int64_t> printers_in; // non-empty: only these printers (a key limited to them)
};

struct CostSettings {
  double filament_cost_per_kg = 0; // 0 = no cost figures
  std::string currency = "EUR";
};

// The series' bucket for the UTC days [first_day, end_day): days up to kMaxDayBuckets days, weeks
// up to about two years, months up to about ten, then years; so a series has at most ~120 items.
constexpr int64_t kMaxDayBuckets = 92;
constexpr int64_t kMaxWeekBucketsDays = 731;
constexpr int64_t kMaxMonthBucketsDays = 3653;
Period seriesBucket(int64_t first_day, int64_t end_day);

nlohmann::json computeStatistics(storage::Database& db, const StatisticsFilter& filter,
                                 const CostSettings& cost);

} // namespace bambuddy::archives
