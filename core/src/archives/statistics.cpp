#include "archives/statistics.h"

#include "archives/day_counts.h"

#include "common/periods.h"
#include "common/time.h"
#include "storage/database.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace bambuddy::archives {

namespace {

struct Totals {
  int64_t prints = 0, successful = 0, failed = 0, cancelled = 0;
  int64_t print_time_s = 0;
  double filament_g = 0;

  void add(const std::string& status, int64_t count, int64_t seconds, double grams) {
    prints += count;
    if (status == "success") {
      successful += count;
    } else if (status == "failed") {
      failed += count;
    } else {
      cancelled += count;
    }
    print_time_s += seconds;
    filament_g += grams;
  }

  nlohmann::json toJson(const CostSettings& cost) const {
    nlohmann::json out = {
        {"total_prints", prints},
        {"successful", successful},
        {"failed", failed},
        {"cancelled", cancelled},
        {"success_rate", prints > 0 ? nlohmann::json(std::round(1000.0 * successful / prints) / 10.0)
                                    : nlohmann::json(nullptr)},
        {"total_print_time", print_time_s},
        {"total_filament", std::round(filament_g * 10.0) / 10.0}};
    if (cost.filament_cost_per_kg > 0) {
      out["filament_cost"] = std::round(filament_g / 1000.0 * cost.filament_cost_per_kg * 100.0) / 100.0;
    }
    return out;
  }
};

} // namespace

Period seriesBucket(int64_t first_day, int64_t end_day) {
  const int64_t span_days = end_day - first_day;
  if (span_days <= kMaxDayBuckets) {
    return Period::Day;
  }
  if (span_days <= kMaxWeekBucketsDays) {
    return Period::Week;
  }
  if (span_days <= kMaxMonthBucketsDays) {
    return Period::Month;
  }
  return Period::Year;
}

nlohmann::json computeStatistics(storage::Database& db, const StatisticsFilter& filter,
                                 const CostSettings& cost) {
  DayCountFilter counts;
  counts.printer_id = filter.printer_id;
  counts.printers_in = filter.printers_in;
  counts.statuses = {"success", "failed", "cancelled"};
  counts.since_ms = filter.since_ms;
  counts.until_ms = filter.until_ms;
  struct Reads {
    std::vector<DayCount> by_printer; // status x printer over the whole range
    std::vector<DayCount> series;     // status x bucket
    Period bucket = Period::Day;
  };
  const Reads reads = db.read([&](soci::session& session) {
    Reads r;
    // The bucket follows the range asked for, within the days that hold archives (an open side
    // ends at the oldest or newest one).
    const auto stored = storedDays(session);
    if (stored) {
      const int64_t first =
          std::max(stored->first, filter.since_ms ? utcDayOf(*filter.since_ms) : stored->first);
      const int64_t end = std::min(stored->second + 1,
                                   filter.until_ms ? utcDayOf(*filter.until_ms - 1) + 1 : stored->second + 1);
      r.bucket = seriesBucket(first, end);
    }
    r.by_printer = readDayCounts(session, counts, kByStatus | kByPrinter);
    r.series = readDayCounts(session, counts, kByStatus | kByDay, r.bucket);
    return r;
  });
  Totals all;
  std::map<int64_t, Totals> per_printer;
  std::map<int64_t, std::string> printer_names;
  for (const DayCount& g : reads.by_printer) {
    all.add(g.status, g.n, g.seconds, g.grams);
    per_printer[g.printer_id].add(g.status, g.n, g.seconds, g.grams);
    if (g.printer_name) {
      printer_names[g.printer_id] = *g.printer_name;
    }
  }
  std::map<int64_t, Totals> per_bucket;
  for (const DayCount& g : reads.series) {
    per_bucket[g.day].add(g.status, g.n, g.seconds, g.grams);
  }

  nlohmann::json out = all.toJson(cost);
  out["currency"] = cost.filament_cost_per_kg > 0 ? nlohmann::json(cost.currency) : nlohmann::json(nullptr);
  nlohmann::json printers = nlohmann::json::array();
  for (const auto& [id, totals] : per_printer) {
    nlohmann::json p = totals.toJson(cost);
    p["printer_id"] = id > 0 ? nlohmann::json(id) : nlohmann::json(nullptr);
    p["printer"] = printer_names.count(id) ? nlohmann::json(printer_names[id]) : nlohmann::json(nullptr);
    printers.push_back(std::move(p));
  }
  out["per_printer"] = std::move(printers);
  out["bucket"] = periodName(reads.bucket);
  nlohmann::json series = nlohmann::json::array();
  for (const auto& [start, totals] : per_bucket) {
    nlohmann::json item = totals.toJson(cost);
    item["date"] = isoDate(start);
    series.push_back(std::move(item));
  }
  out["series"] = std::move(series);
  return out;
}

} // namespace bambuddy::archives
