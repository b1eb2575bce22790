#include "archives/statistics.h"

#include "archives/day_counts.h"

#include "common/time.h"
#include "storage/database.h"

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

nlohmann::json computeStatistics(storage::Database& db, const StatisticsFilter& filter,
                                 const CostSettings& cost) {
  DayCountFilter counts;
  counts.printer_id = filter.printer_id;
  counts.printers_in = filter.printers_in;
  counts.statuses = {"success", "failed", "cancelled"};
  counts.since_ms = filter.since_ms;
  counts.until_ms = filter.until_ms;
  // One read of the whole-key groups (a few thousand rows for a year of a farm), summed three ways.
  std::vector<DayCount> groups =
      db.read([&](soci::session& session) { return readDayCounts(session, counts, kGroupAll); });
  Totals all;
  std::map<int64_t, Totals> per_printer;
  std::map<int64_t, std::string> printer_names;
  std::map<int64_t, Totals> per_day;
  for (const DayCount& g : groups) {
    all.add(g.status, g.n, g.seconds, g.grams);
    per_printer[g.printer_id].add(g.status, g.n, g.seconds, g.grams);
    if (g.printer_name) {
      printer_names[g.printer_id] = *g.printer_name;
    }
    per_day[g.day].add(g.status, g.n, g.seconds, g.grams);
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
  nlohmann::json days = nlohmann::json::array();
  for (const auto& [day, totals] : per_day) {
    nlohmann::json d = totals.toJson(cost);
    d["date"] = formatUtcSeconds(day * kDayMs).substr(0, 10);
    days.push_back(std::move(d));
  }
  out["per_day"] = std::move(days);
  return out;
}

} // namespace bambuddy::archives
