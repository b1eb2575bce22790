#include "archives/statistics.h"

#include "common/time.h"
#include "storage/binder.h"
#include "storage/database.h"
#include "storage/row_values.h"

#include <cmath>
#include <map>

namespace bambuddy::archives {

namespace {

constexpr int64_t kDayMs = 86400000;

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
    nlohmann::json out = {{"total_prints", prints},
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

nlohmann::json computeStatistics(storage::Database& db, const StatisticsFilter& filter, const CostSettings& cost) {
  std::string sql = "SELECT status, printer_id, MAX(printer_name) AS printer_name, sort_at_ms / " +
                    std::to_string(kDayMs) +
                    " AS day, COUNT(*) AS n, COALESCE(SUM(duration_s), 0) AS seconds, "
                    "COALESCE(SUM(filament_used_g), 0) AS grams FROM archives "
                    "WHERE status IN ('success', 'failed', 'cancelled')";
  if (filter.since_ms) {
    sql += " AND sort_at_ms >= :since";
  }
  if (filter.until_ms) {
    sql += " AND sort_at_ms < :until";
  }
  if (filter.printer_id) {
    sql += " AND printer_id = :printer";
  }
  sql += " GROUP BY status, printer_id, day";

  Totals all;
  std::map<int64_t, Totals> per_printer;
  std::map<int64_t, std::string> printer_names;
  std::map<int64_t, Totals> per_day;
  db.read([&](soci::session& session) {
    storage::Binder binder;
    soci::row row;
    soci::statement st(session);
    st.exchange(soci::into(row));
    if (filter.since_ms) {
      binder.bind(st, filter.since_ms);
    }
    if (filter.until_ms) {
      binder.bind(st, filter.until_ms);
    }
    if (filter.printer_id) {
      binder.bind(st, filter.printer_id);
    }
    storage::prepareStatement(st, sql);
    st.execute();
    while (st.fetch()) {
      const std::string status = storage::stringOr(row, "status");
      const int64_t printer = storage::int64Or(row, "printer_id", 0);
      const int64_t day = storage::int64Or(row, "day", 0);
      const int64_t n = storage::int64Or(row, "n", 0);
      const int64_t seconds = storage::int64Or(row, "seconds", 0);
      const double grams = storage::optDouble(row, "grams").value_or(0.0);
      all.add(status, n, seconds, grams);
      per_printer[printer].add(status, n, seconds, grams);
      if (auto name = storage::optString(row, "printer_name")) {
        printer_names[printer] = *name;
      }
      per_day[day].add(status, n, seconds, grams);
    }
  });

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
