#include "archives/day_counts.h"

#include "storage/binder.h"

#include "common/periods.h"

#include <algorithm>
#include <limits>
#include <utility>

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

// Whole periods of one kind, [lo, hi) in day numbers of their first days, from the totals tables;
// their rows are already one per full key.
struct Piece {
  Period kind;
  int64_t lo;
  int64_t hi;
};

void readTotals(soci::session& session, const Piece& piece, const DayCountFilter& filter, unsigned groups,
                std::vector<DayCount>& out) {
  const bool days = piece.kind == Period::Day;
  const std::string key = days ? "day" : "period";
  const std::string where =
      (days ? std::string(" FROM archive_day_counts WHERE day")
            : " FROM archive_period_counts WHERE kind = " + std::to_string(static_cast<int>(piece.kind)) +
                  " AND period") +
      " >= :lo AND " + key + " < :hi" + restSql(filter, "printer_id");
  if (groups == kGroupAll) {
    readInto(session, "SELECT status, printer_id, " + key + ", n, seconds, grams, printer_name" + where,
             piece.lo, piece.hi, filter, out);
    return;
  }
  Grouping g = grouping(groups, "printer_id", key);
  readInto(session,
           "SELECT " + g.select +
               "COALESCE(SUM(n), 0), COALESCE(SUM(seconds), 0), COALESCE(SUM(grams), 0), MAX(printer_name)" +
               where + g.group_by,
           piece.lo, piece.hi, filter, out);
}

// Splits whole days [lo, hi) into the fewest periods: whole periods of `kind`, and the days around
// them in the next smaller kind (years, then months, then days; weeks go straight to days).
void cover(int64_t lo, int64_t hi, Period kind, std::vector<Piece>& out) {
  if (lo >= hi) {
    return;
  }
  if (kind == Period::Day) {
    out.push_back({Period::Day, lo, hi});
    return;
  }
  const Period smaller = kind == Period::Year ? Period::Month : Period::Day;
  const int64_t first = periodStart(kind, lo) == lo ? lo : nextPeriodStart(kind, lo);
  const int64_t last = periodStart(kind, hi);
  if (first >= last) {
    cover(lo, hi, smaller, out);
    return;
  }
  cover(lo, first, smaller, out);
  out.push_back({kind, first, last});
  cover(last, hi, smaller, out);
}

} // namespace

std::optional<std::pair<int64_t, int64_t>> storedDays(soci::session& session) {
  long long lo = 0, hi = 0;
  soci::indicator lo_ind = soci::i_null, hi_ind = soci::i_null;
  session << "SELECT MIN(sort_at_ms) FROM archives", soci::into(lo, lo_ind);
  session << "SELECT MAX(sort_at_ms) FROM archives", soci::into(hi, hi_ind);
  if (lo_ind != soci::i_ok || hi_ind != soci::i_ok) {
    return std::nullopt;
  }
  return std::make_pair(utcDayOf(lo), utcDayOf(hi));
}

namespace {

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
  c.day = utcDayOf(record.sortAtMs());
  c.n = 1;
  c.seconds = record.duration_s.value_or(0);
  c.grams = record.filament_used_g.value_or(0.0);
  c.printer_name = record.printer_name;
  return c;
}

namespace {

// Adds a signed contribution to one row of a totals table and drops the row once it is empty.
// `kind` < 0: archive_day_counts (key `day`); else archive_period_counts of that kind.
void applyTo(soci::session& session, int kind, int64_t period, const DayCount& c, int sign) {
  const bool days = kind < 0;
  const std::string table = days ? "archive_day_counts" : "archive_period_counts";
  const std::string key = days ? "status, day, printer_id" : "kind, status, period, printer_id";
  // The row's key, in the order both statements name it.
  auto bindKey = [&](soci::statement& statement, Binder& binder) {
    if (!days) {
      binder.bind(statement, std::optional<int64_t>(kind));
    }
    binder.bind(statement, std::optional<std::string>(c.status));
    binder.bind(statement, std::optional<int64_t>(period));
    binder.bind(statement, std::optional<int64_t>(c.printer_id));
  };
  Binder binder;
  soci::statement st(session);
  bindKey(st, binder);
  binder.bind(st, std::optional<int64_t>(sign * c.n));
  binder.bind(st, std::optional<int64_t>(sign * c.seconds));
  binder.bind(st, std::optional<double>(sign * c.grams));
  // A removal never renames the group.
  binder.bind(st, sign > 0 ? c.printer_name : std::nullopt);
  storage::prepareStatement(st, "INSERT INTO " + table + " (" + key +
                                    ", n, seconds, grams, printer_name) VALUES (" + (days ? "" : ":kind, ") +
                                    ":status, :period, :printer_id, :n, :seconds, :grams, :printer_name) "
                                    "ON CONFLICT (" +
                                    key + ") DO UPDATE SET n = " + table + ".n + excluded.n, seconds = " +
                                    table + ".seconds + excluded.seconds, grams = " + table +
                                    ".grams + excluded.grams, printer_name = "
                                    "COALESCE(excluded.printer_name, " +
                                    table + ".printer_name)");
  st.execute(true);
  if (sign < 0) {
    Binder drop_binder;
    soci::statement drop(session);
    bindKey(drop, drop_binder);
    storage::prepareStatement(drop, "DELETE FROM " + table + " WHERE " + (days ? "" : "kind = :kind AND ") +
                                        "status = :status AND " + (days ? "day" : "period") +
                                        " = :period AND printer_id = :printer AND n <= 0");
    drop.execute(true);
  }
}

} // namespace

void applyDayCount(soci::session& session, const DayCount& c, int sign) {
  applyTo(session, -1, c.day, c, sign);
  for (Period kind : {Period::Week, Period::Month, Period::Year}) {
    applyTo(session, static_cast<int>(kind), periodStart(kind, c.day), c, sign);
  }
}

std::vector<DayCount> readDayCounts(soci::session& session, const DayCountFilter& filter, unsigned groups,
                                    Period bucket) {
  std::vector<DayCount> out;
  if (filter.printer_id && *filter.printer_id <= 0) {
    return out; // no archive has such a printer id (0 stands for "none" in the totals)
  }
  if (filter.since_ms && filter.until_ms && *filter.since_ms >= *filter.until_ms) {
    return out;
  }
  const auto days = storedDays(session);
  if (!days) {
    return out; // no archives at all
  }
  // The whole days of the range, clamped to the days that hold archives (so an open range has
  // bounds), and the partial days at its edges.
  const int64_t since_ms = std::max(filter.since_ms.value_or(days->first * kDayMs), days->first * kDayMs);
  const int64_t until_ms =
      std::min(filter.until_ms.value_or((days->second + 1) * kDayMs), (days->second + 1) * kDayMs);
  if (since_ms >= until_ms) {
    return out;
  }
  const int64_t lo_day = ceilDay(since_ms);
  const int64_t hi_day = utcDayOf(until_ms);
  if (lo_day >= hi_day) {
    // No whole day inside the range: it is short, read it from the archives.
    readArchives(session, since_ms, until_ms, filter, groups, out);
  } else {
    std::vector<Piece> pieces;
    // Series read whole buckets (and the days around them); totals the largest periods there are.
    cover(lo_day, hi_day, (groups & kByDay) ? bucket : Period::Year, pieces);
    for (const Piece& piece : pieces) {
      readTotals(session, piece, filter, groups, out);
    }
    if (since_ms < lo_day * kDayMs) {
      readArchives(session, since_ms, lo_day * kDayMs, filter, groups, out);
    }
    if (hi_day * kDayMs < until_ms) {
      readArchives(session, hi_day * kDayMs, until_ms, filter, groups, out);
    }
  }
  if ((groups & kByDay) && bucket != Period::Day) {
    for (DayCount& c : out) {
      c.day = periodStart(bucket, c.day); // days read around whole buckets join their bucket
    }
  }
  return out;
}

} // namespace bambuddy::archives
