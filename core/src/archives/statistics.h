// GET /api/v1/statistics: totals over finished prints (success, failed, cancelled), per printer and
// per UTC day, from the running per-day totals (day_counts.h), so the cost does not grow with the
// number of archives.
#pragma once

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

nlohmann::json computeStatistics(storage::Database& db, const StatisticsFilter& filter,
                                 const CostSettings& cost);

} // namespace bambuddy::archives
