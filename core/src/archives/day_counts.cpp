#include "archives/day_counts.h"

#include "storage/binder.h"

#include <limits>

namespace bambuddy::archives {

namespace {

using storage::Binder;

int64_t ceilDay(int64_t time_ms) {
  int64_t day = utcDayOf(time_ms);
  return day * kDayMs == time_ms ? day : day + 1;
}

// " AND printer_id = ? AND status IN (?, ...)" for the filter, bound in that order by bindRest.
std::string restSql(const DayCountFilter& filter, const std::string& printer_column) {
  std::string sql;
  if (filter.printer_id) {
    sql += " AND " + printer_column + " = :printer";
  }
  sql += printerInSql(printer_column, filter.printers_in);
  if (!filter.statuses.empty()) {
    sql += " AND status IN (";
    for (std::size_t i = 0; i < filter.statuses.size(); ++i) {
      sql += (i ? ", :s" : ":s") + std::to_string(i);
    }
    sql += ")";
  }
  return sql;
}

void bindRest(soci::statement& st, Binder& binder, const DayCountFilter& filter) {
  if (filter.printer_id) {
    binder.bind(st, filter.printer_id);
  }
  for (const std::string& status : filter.statuses) {
    binder.bind(st, std::optional<std::string>(status));
  }
}

// The key columns of a query, always all three ("status, printer_id, day") so every query has the
// same shape; a key not grouped by reads as a constant.
struct Grouping {
  std::string select;
  std::string group_by;
};

Grouping grouping(unsigned groups, const std::string& printer_expr, const std::string& day_expr) {
  Grouping g;
  auto add = [&](bool grouped, const std::string& expr, const std::string& constant,
                 const std::string& name) {
    g.select += (grouped ? expr : constant) + " AS " + name + ", ";
    if (grouped) {
      g.group_by += (g.group_by.empty() ? " GROUP BY " : ", ") + expr;
    }
  };
  add(groups & kByStatus, "status", "''", "status");
  add(groups & kByPrinter, printer_expr, "0", "printer_id");
  add(groups & kByDay, day_expr, "0", "day");
  return g;
}

// Runs a query selecting (status, printer_id, day, n, seconds, grams, printer_name) and appends its
// rows. Fetched in batches into typed vectors: SOCI's generic row costs microseconds per row, and a
// year of a farm is thousands of groups.
void readInto(soci::session& session, const std::string& sql, int64_t lo, int64_t hi,
              const DayCountFilter& filter, std::vector<DayCount>& out) {
  constexpr std::size_t kBatch = 512;
  std::vector<std::string> status(kBatch);
  std::vector<long long> printer(kBatch), day(kBatch), n(kBatch), seconds(kBatch);
  std::vector<double> grams(kBatch);
  std::vector<std::string> name(kBatch);
  std::vector<soci::indicator> name_ind(kBatch);
  Binder binder;
  soci::statement st(session);
  st.exchange(soci::into(status));
  st.exchange(soci::into(printer));
  st.exchange(soci::into(day));
  st.exchange(soci::into(n));
  st.exchange(soci::into(seconds));
  st.exchange(soci::into(grams));
  st.exchange(soci::into(name, name_ind));
  binder.bind(st, std::optional<int64_t>(lo));
  binder.bind(st, std::optional<int64_t>(hi));
  bindRest(st, binder, filter);
  storage::prepareStatement(st, sql);
  st.execute();
  // Each fetch fills the vectors with up to kBatch rows and shrinks them to the rows it got.
  while (st.fetch()) {
    for (std::size_t i = 0; i < status.size(); ++i) {
      if (n[i] == 0) {
        continue; // an aggregate over no rows
      }
      DayCount c;
      c.status = std::move(status[i]);
      c.printer_id = printer[i];
      c.day = day[i];
      c.n = n[i];
      c.seconds = seconds[i];
      c.grams = grams[i];
      if (name_ind[i] == soci::i_ok) {
        c.printer_name = std::move(name[i]);
      }
      out.push_back(std::move(c));
    }
    status.resize(kBatch);
    for (auto* v : {&printer, &day, &n, &seconds}) {
      v->resize(kBatch);
    }
    grams.resize(kBatch);
    name.resize(kBatch);
    name_ind.resize(kBatch);
  }
}

// Whole days [lo_day, hi_day) from the totals table; its rows are already one per full key.
void readTotals(soci::session& session, int64_t lo_day, int64_t hi_day, const DayCountFilter& filter,
                unsigned groups, std::vector<DayCount>& out) {
  const std::string where =
      " FROM archive_day_counts WHERE day >= :lo AND day < :hi" + restSql(filter, "printer_id");
  if (groups == kGroupAll) {
    readInto(session, "SELECT status, printer_id, day, n, seconds, grams, printer_name" + where, lo_day,
             hi_day, filter, out);
    return;
  }
  Grouping g = grouping(groups, "printer_id", "day");
  readInto(session,
           "SELECT " + g.select +
               "COALESCE(SUM(n), 0), COALESCE(SUM(seconds), 0), COALESCE(SUM(grams), 0), MAX(printer_name)" +
               where + g.group_by,
           lo_day, hi_day, filter, out);
}

// Sort times [lo_ms, hi_ms) summed from the archives themselves.
void readArchives(soci::session& session, int64_t lo_ms, int64_t hi_ms, const DayCountFilter& filter,
                  unsigned groups, std::vector<DayCount>& out) {
  Grouping g = grouping(groups, "COALESCE(printer_id, 0)", daySql("sort_at_ms"));
  readInto(session,
           "SELECT " + g.select +
               "COUNT(*), COALESCE(SUM(duration_s), 0), COALESCE(SUM(filament_used_g), 0), MAX(printer_name) "
               "FROM archives WHERE sort_at_ms >= :lo AND sort_at_ms < :hi" +
               restSql(filter, "printer_id") + g.group_by,
           lo_ms, hi_ms, filter, out);
}

} // namespace

std::string printerInSql(const std::string& column, const std::vector<int64_t>& ids) {
  if (ids.empty()) {
    return "";
  }
  std::string sql = " AND COALESCE(" + column + ", 0) IN (";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    sql += (i ? ", " : "") + std::to_string(ids[i]);
  }
  return sql + ")";
}

int64_t utcDayOf(int64_t time_ms) {
  int64_t day = time_ms / kDayMs;
  return (time_ms % kDayMs != 0 && time_ms < 0) ? day - 1 : day;
}

std::string daySql(const std::string& column) {
  const std::string d = std::to_string(kDayMs);
  return "(CASE WHEN " + column + " >= 0 THEN " + column + " / " + d + " ELSE -((-" + column + " + " + d +
         " - 1) / " + d + ") END)";
}

DayCount contributionOf(const ArchiveRecord& record) {
  DayCount c;
  c.status = record.status;
  c.printer_id = record.printer_id.value_or(0);
  c.day = utcDayOf(record.started_at_ms.value_or(record.created_at_ms)); // the row's sort_at_ms
  c.n = 1;
  c.seconds = record.duration_s.value_or(0);
  c.grams = record.filament_used_g.value_or(0.0);
  c.printer_name = record.printer_name;
  return c;
}

void applyDayCount(soci::session& session, const DayCount& c, int sign) {
  Binder binder;
  soci::statement st(session);
  binder.bind(st, std::optional<std::string>(c.status));
  binder.bind(st, std::optional<int64_t>(c.day));
  binder.bind(st, std::optional<int64_t>(c.printer_id));
  binder.bind(st, std::optional<int64_t>(sign * c.n));
  binder.bind(st, std::optional<int64_t>(sign * c.seconds));
  binder.bind(st, std::optional<double>(sign * c.grams));
  // A removal never renames the group.
  binder.bind(st, sign > 0 ? c.printer_name : std::nullopt);
  storage::prepareStatement(
      st, "INSERT INTO archive_day_counts (status, day, printer_id, n, seconds, grams, printer_name) "
          "VALUES (:status, :day, :printer_id, :n, :seconds, :grams, :printer_name) "
          "ON CONFLICT (status, day, printer_id) DO UPDATE SET n = archive_day_counts.n + excluded.n, "
          "seconds = archive_day_counts.seconds + excluded.seconds, "
          "grams = archive_day_counts.grams + excluded.grams, "
          "printer_name = COALESCE(excluded.printer_name, archive_day_counts.printer_name)");
  st.execute(true);
  if (sign < 0) {
    std::string status = c.status;
    long long day = c.day;
    long long printer = c.printer_id;
    session
        << "DELETE FROM archive_day_counts WHERE status = :status AND day = :day AND printer_id = :printer "
           "AND n <= 0",
        soci::use(status), soci::use(day), soci::use(printer);
  }
}

std::vector<DayCount> readDayCounts(soci::session& session, const DayCountFilter& filter, unsigned groups) {
  std::vector<DayCount> out;
  if (filter.printer_id && *filter.printer_id <= 0) {
    return out; // no archive has such a printer id (0 stands for "none" in the totals)
  }
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const int64_t lo_day = filter.since_ms ? ceilDay(*filter.since_ms) : kMin;
  const int64_t hi_day = filter.until_ms ? utcDayOf(*filter.until_ms) : kMax;
  if (lo_day >= hi_day) {
    // No whole day inside the range: it is short, read it from the archives.
    if (!filter.since_ms || !filter.until_ms || *filter.since_ms < *filter.until_ms) {
      readArchives(session, filter.since_ms.value_or(kMin), filter.until_ms.value_or(kMax), filter, groups,
                   out);
    }
    return out;
  }
  readTotals(session, lo_day, hi_day, filter, groups, out);
  if (filter.since_ms && *filter.since_ms < lo_day * kDayMs) {
    readArchives(session, *filter.since_ms, lo_day * kDayMs, filter, groups, out);
  }
  if (filter.until_ms && hi_day * kDayMs < *filter.until_ms) {
    readArchives(session, hi_day * kDayMs, *filter.until_ms, filter, groups, out);
  }
  return out;
}

} // namespace bambuddy::archives
