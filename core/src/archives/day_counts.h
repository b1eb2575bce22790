// Running totals of archives per (status, printer, UTC day) in the archive_day_counts table, with
// week, month and year roll-ups in archive_period_counts.
//
// ArchiveStore updates them in the same transaction as every archive write, so list totals and
// statistics read at most a few thousand small rows instead of scanning the archives table (100,000
// rows took ~250 ms per statistics request that way). A time range that starts or ends inside a
// day is answered exactly: whole days come from the totals, the partial days at the edges from the
// archives themselves (an index range over at most two days).
#pragma once

#include "archives/archive_record.h"
#include "common/periods.h"

#include <soci/soci.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bambuddy::archives {

constexpr int64_t kDayMs = 86400000;

// UTC day number of a time in ms since the epoch (floor, also before 1970).
int64_t utcDayOf(int64_t time_ms);

// One group: `n` archives of one status on one printer (0 = none, e.g. uploads) on one UTC day.
struct DayCount {
  std::string status;
  int64_t printer_id = 0;
  int64_t day = 0;
  int64_t n = 0;
  int64_t seconds = 0; // sum of duration_s
  double grams = 0;    // sum of filament_used_g
  std::optional<std::string> printer_name;
};

// What a record adds to the totals (n = 1), from the columns the totals are keyed and summed on.
DayCount contributionOf(const ArchiveRecord& record);

// Adds (sign +1) or removes (sign -1) a record's contribution. Call inside the write transaction
// that changes the archive row.
void applyDayCount(soci::session& session, const DayCount& contribution, int sign);

// " AND COALESCE(<column>, 0) IN (a, b, ...)": the printers a key is limited to (0 = no printer).
// The ids are integers written into the SQL text; empty `ids` adds nothing.
std::string printerInSql(const std::string& column, const std::vector<int64_t>& ids);

struct DayCountFilter {
  std::optional<int64_t> printer_id;
  std::vector<std::string> statuses; // empty = every status
  std::optional<int64_t> since_ms;   // sort time at or after
  std::optional<int64_t> until_ms;   // sort time before
  std::vector<int64_t> printers_in;  // non-empty: only these printer ids (0 = archives with none)
};

// Which keys the result is grouped by; keys left out read as "" / 0 in the result.
enum DayCountGroups : unsigned { kGroupNone = 0, kByStatus = 1, kByPrinter = 2, kByDay = 4, kGroupAll = 7 };

// The groups matching the filter, summed in SQL. A group may appear more than once (whole periods
// and the days and partial days around them are read apart): callers sum, they never assume
// uniqueness. Grouped by day, `day` is the first day of the `bucket` period the group falls in.
//
// Cost: a range's whole days are read as the fewest whole periods (years, then months, then days;
// for a series whole buckets, then days), the partial days at its edges from the archives by index
// range; so it depends on the range's shape and the number of groups, not on the archive's age.
std::vector<DayCount> readDayCounts(soci::session& session, const DayCountFilter& filter,
                                    unsigned groups = kGroupAll, Period bucket = Period::Day);

// The UTC days of the oldest and newest archive (by sort time), if any: two index lookups.
std::optional<std::pair<int64_t, int64_t>> storedDays(soci::session& session);

// The day-number expression in SQL for a column of ms since the epoch (floor division).
std::string daySql(const std::string& column);

} // namespace bambuddy::archives
