#include "storage/migrations.h"

#include "common/logger.h"
#include "common/periods.h"
#include "common/time.h"
#include "storage/database.h"

#include <soci/soci.h>

#include <algorithm>
#include <map>
#include <optional>
#include <regex>
#include <stdexcept>
#include <tuple>

namespace bambuddy::storage {

namespace {

constexpr const char* kComponent = "storage";

void validateList(const std::vector<Migration>& migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    const Migration& m = migrations[i];
    const int expected = static_cast<int>(i) + 1;
    if (m.version != expected) {
      throw std::logic_error("migration list must be numbered 1, 2, 3, ... without gaps: entry " +
                             std::to_string(i) + " has version " + std::to_string(m.version) + ", expected " +
                             std::to_string(expected));
    }
    if (m.name.empty()) {
      throw std::logic_error("migration " + std::to_string(m.version) + " has no name");
    }
  }
}

std::vector<int> appliedVersions(soci::session& session) {
  std::vector<int> versions;
  int version = 0;
  soci::statement st =
      (session.prepare << "SELECT version FROM schema_migrations ORDER BY version", soci::into(version));
  st.execute();
  while (st.fetch()) {
    versions.push_back(version);
  }
  return versions;
}

bool isApplied(soci::session& session, int version) {
  int count = 0;
  session << "SELECT COUNT(*) FROM schema_migrations WHERE version = :v", soci::use(version),
      soci::into(count);
  return count > 0;
}

// The statements of `m` for the database's backend.
std::vector<std::string> statementsFor(const Migration& m, const std::string& backend) {
  if (backend != "postgresql") {
    return m.statements;
  }
  if (!m.postgresql.empty()) {
    return m.postgresql;
  }
  std::vector<std::string> out;
  for (const std::string& s : m.statements) {
    out.push_back(forPostgresql(s));
  }
  return out;
}

// Runs the statements and code of `m` and records its version, in the caller's transaction.
void runOne(soci::session& session, const std::string& backend, const Migration& m) {
  const std::vector<std::string> statements = statementsFor(m, backend);
  for (std::size_t i = 0; i < statements.size(); ++i) {
    try {
      session << statements[i];
    } catch (const std::exception& e) {
      throw StorageError("migration " + std::to_string(m.version) + " (" + m.name + ") failed at statement " +
                         std::to_string(i + 1) + " of " + std::to_string(statements.size()) + ": " +
                         e.what());
    }
  }
  if (m.code) {
    try {
      m.code(session);
    } catch (const std::exception& e) {
      throw StorageError("migration " + std::to_string(m.version) + " (" + m.name +
                         ") failed after its statements: " + e.what());
    }
  }
  const std::string applied_at = formatUtcMs(nowUtcMs());
  session << "INSERT INTO schema_migrations (version, name, applied_at) VALUES (:v, :n, :t)",
      soci::use(m.version), soci::use(m.name), soci::use(applied_at);
}

// Several server instances starting at once on one PostgreSQL database: one migrates, the others
// wait for its commit and then find the migration applied. (SQLite's write lock does the same.)
void serializeMigrations(soci::session& session, const std::string& backend) {
  if (backend == "postgresql") {
    int locked = 0; // the lock is any constant of our own, held until the commit
    session << "SELECT 1 FROM (SELECT pg_advisory_xact_lock(4242001)) AS l", soci::into(locked);
  }
}

// Returns false when another process applied the migration first.
bool applyOne(Database& db, const Migration& m) {
  return db.write([&](soci::session& session) {
    serializeMigrations(session, db.backend());
    if (isApplied(session, m.version)) {
      return false;
    }
    runOne(session, db.backend(), m);
    return true;
  });
}

void createVersionTable(soci::session& session) {
  session << "CREATE TABLE IF NOT EXISTS schema_migrations ("
             "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";
}

void refuseNewer(int current, int known, const std::string& where) {
  if (current > known) {
    throw StorageError("database '" + where + "' has schema version " + std::to_string(current) +
                       ", but this build only knows up to version " + std::to_string(known) +
                       "; refusing to start (use a newer build or restore a backup)");
  }
}

// Migration 9: the week, month and year roll-ups of the per-day totals already stored. Calendar
// months and years are not portable SQL, so the days are read and summed here.
void fillPeriodCounts(soci::session& session) {
  struct Sum {
    long long n = 0, seconds = 0;
    double grams = 0;
    std::optional<std::string> name;
  };
  // (kind, status, period, printer) -> sums
  std::map<std::tuple<int, std::string, long long, long long>, Sum> sums;
  soci::rowset<soci::row> rows = (session.prepare << "SELECT status, day, printer_id, n, seconds, grams, "
                                                     "printer_name FROM archive_day_counts");
  for (const soci::row& row : rows) {
    const std::string status = row.get<std::string>(0);
    const long long day = row.get<long long>(1);
    const long long printer = row.get<long long>(2);
    for (Period kind : {Period::Week, Period::Month, Period::Year}) {
      Sum& sum = sums[{static_cast<int>(kind), status, periodStart(kind, day), printer}];
      sum.n += row.get<long long>(3);
      sum.seconds += row.get<long long>(4);
      sum.grams += row.get<double>(5);
      if (row.get_indicator(6) == soci::i_ok) {
        sum.name = row.get<std::string>(6);
      }
    }
  }
  for (const auto& [key, sum] : sums) {
    int kind = std::get<0>(key);
    std::string status = std::get<1>(key);
    long long period = std::get<2>(key);
    long long printer = std::get<3>(key);
    soci::indicator name_ind = sum.name ? soci::i_ok : soci::i_null;
    std::string name = sum.name.value_or("");
    session << "INSERT INTO archive_period_counts (kind, status, period, printer_id, n, seconds, grams, "
               "printer_name) VALUES (:k, :s, :p, :printer, :n, :sec, :g, :name)",
        soci::use(kind), soci::use(status), soci::use(period), soci::use(printer), soci::use(sum.n),
        soci::use(sum.seconds), soci::use(sum.grams), soci::use(name, name_ind);
  }
}

} // namespace

std::string forPostgresql(const std::string& statement) {
  // SQLite gives an INTEGER PRIMARY KEY the next rowid when an insert leaves it out (audit_log);
  // an identity column does the same, and still takes the ids that other tables hand out themselves.
  static const std::regex kRowid("\\bINTEGER PRIMARY KEY\\b");
  static const std::regex kInteger("\\bINTEGER\\b");
  static const std::regex kReal("\\bREAL\\b");
  static const std::regex kBlob("\\bBLOB\\b");
  static const std::regex kText("\\bTEXT\\b");
  std::string out =
      std::regex_replace(statement, kRowid, "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
  out = std::regex_replace(out, kInteger, "BIGINT");
  out = std::regex_replace(out, kReal, "DOUBLE PRECISION");
  out = std::regex_replace(out, kBlob, "BYTEA");
  if (out.rfind("CREATE TABLE", 0) == 0 || out.rfind("ALTER TABLE", 0) == 0) {
    out = std::regex_replace(out, kText, "TEXT COLLATE \"C\"");
  }
  return out;
}

void migrate(Database& db, const std::vector<Migration>& migrations, Logger& logger) {
  validateList(migrations);
  const int known = static_cast<int>(migrations.size());

  std::vector<int> applied;
  try {
    db.write([&](soci::session& session) {
      serializeMigrations(session, db.backend());
      createVersionTable(session);
    });
    applied = db.read([](soci::session& session) { return appliedVersions(session); });
  } catch (const StorageError&) {
    throw;
  } catch (const std::exception& e) {
    throw StorageError("cannot read schema version of '" + db.path() + "': " + e.what());
  }
  refuseNewer(applied.empty() ? 0 : applied.back(), known, db.path());

  int ran = 0;
  for (const Migration& m : migrations) {
    if (std::binary_search(applied.begin(), applied.end(), m.version)) {
      continue;
    }
    bool did_apply = false;
    try {
      did_apply = applyOne(db, m);
    } catch (const StorageError&) {
      throw;
    } catch (const std::exception& e) {
      throw StorageError("migration " + std::to_string(m.version) + " (" + m.name + ") failed: " + e.what());
    }
    if (did_apply) {
      ++ran;
      logger.info(kComponent, "applied migration " + std::to_string(m.version) + " (" + m.name + ")");
    }
  }
  if (ran == 0) {
    logger.debug(kComponent, "schema is up to date at version " + std::to_string(known));
  }
}

void migrateWithin(soci::session& session, const std::string& backend, const std::string& where,
                   const std::vector<Migration>& migrations, Logger& logger) {
  validateList(migrations);
  const int known = static_cast<int>(migrations.size());
  std::vector<int> applied;
  try {
    serializeMigrations(session, backend); // a server starting meanwhile waits for the commit
    createVersionTable(session);
    applied = appliedVersions(session);
  } catch (const std::exception& e) {
    throw StorageError("cannot read schema version of '" + where + "': " + e.what());
  }
  refuseNewer(applied.empty() ? 0 : applied.back(), known, where);
  for (const Migration& m : migrations) {
    if (std::binary_search(applied.begin(), applied.end(), m.version)) {
      continue;
    }
    try {
      runOne(session, backend, m);
    } catch (const StorageError&) {
      throw;
    } catch (const std::exception& e) {
      throw StorageError("migration " + std::to_string(m.version) + " (" + m.name + ") failed: " + e.what());
    }
    logger.info(kComponent, "applied migration " + std::to_string(m.version) + " (" + m.name + ")");
  }
}

const std::vector<Migration>& coreMigrations() {
  // A constant table, built once; the SQL sticks to what SQLite and PostgreSQL both accept.
  static const std::vector<Migration> migrations = {
      {1,
       "kv",
       {"CREATE TABLE kv ("
        "namespace TEXT NOT NULL, "
        "key TEXT NOT NULL, "
        "value TEXT NOT NULL, "
        "updated_at TEXT NOT NULL, "
        "PRIMARY KEY (namespace, key))"}},
      {2,
       "audit_log",
       {"CREATE TABLE audit_log ("
        "id INTEGER PRIMARY KEY, "
        "at TEXT NOT NULL, "
        "at_ms BIGINT NOT NULL, "
        "kind TEXT NOT NULL, "
        "principal_id TEXT, "
        "principal_name TEXT, "
        "key_prefix TEXT, "
        "client_ip TEXT, "
        "method TEXT, "
        "path TEXT, "
        "reason TEXT, "
        "detail TEXT)",
        "CREATE INDEX audit_log_at_ms ON audit_log (at_ms)"}},
      {3,
       "printers",
       {"CREATE TABLE printers ("
        "id INTEGER PRIMARY KEY, "
        "name TEXT NOT NULL, "
        "driver TEXT NOT NULL, "
        "instance_id TEXT NOT NULL, "
        "source TEXT NOT NULL, "
        "settings TEXT NOT NULL, "
        "lifecycle TEXT NOT NULL, "
        "created_at_ms BIGINT NOT NULL, "
        "updated_at_ms BIGINT NOT NULL, "
        "UNIQUE (driver, instance_id))",
        // Ids handed out once and never again, even after the highest row is deleted (portable
        // replacement for SQLite's AUTOINCREMENT).
        "CREATE TABLE id_sequences (name TEXT PRIMARY KEY, last_value BIGINT NOT NULL)"}},
      {4,
       "archives_and_queue",
       {"CREATE TABLE archives ("
        "id INTEGER PRIMARY KEY, "
        "status TEXT NOT NULL, "
        "name TEXT NOT NULL, "
        "filename TEXT, "
        "printer_id BIGINT, "
        "printer_name TEXT, "
        "job_id TEXT, "
        "source_archive_id BIGINT, "
        "queue_item_id BIGINT, "
        "started_at_ms BIGINT, "
        "ended_at_ms BIGINT, "
        "duration_s BIGINT, "
        "progress REAL, "
        "filament_used_g REAL, "
        "filament_type TEXT, "
        "estimated_time_s BIGINT, "
        "error TEXT, "
        "notes TEXT NOT NULL, "
        "tags TEXT NOT NULL, "
        "favourite INTEGER NOT NULL, "
        "file_key TEXT, "
        "file_size BIGINT, "
        "thumbnail_key TEXT, "
        "metadata TEXT, "
        "sort_at_ms BIGINT NOT NULL, "
        "created_at_ms BIGINT NOT NULL, "
        "updated_at_ms BIGINT NOT NULL)",
        // Lists are newest first, optionally for one printer or status.
        "CREATE INDEX archives_sort ON archives (sort_at_ms, id)",
        "CREATE INDEX archives_printer_sort ON archives (printer_id, sort_at_ms, id)",
        "CREATE INDEX archives_status_sort ON archives (status, sort_at_ms, id)",
        // Statistics read only this index (no table rows).
        "CREATE INDEX archives_stats ON archives (status, sort_at_ms, printer_id, duration_s, "
        "filament_used_g, "
        "printer_name)",
        "CREATE TABLE queue_items ("
        "id INTEGER PRIMARY KEY, "
        "archive_id BIGINT NOT NULL, "
        "printer_id BIGINT, "
        "position BIGINT NOT NULL, "
        "scheduled_at_ms BIGINT, "
        "status TEXT NOT NULL, "
        "reason TEXT, "
        "assigned_printer_id BIGINT, "
        "print_archive_id BIGINT, "
        "started_at_ms BIGINT, "
        "ended_at_ms BIGINT, "
        "created_at_ms BIGINT NOT NULL, "
        "updated_at_ms BIGINT NOT NULL)",
        "CREATE INDEX queue_items_status_position ON queue_items (status, position)"}},
      {5,
       "notifications",
       {"CREATE TABLE notification_providers ("
        "id INTEGER PRIMARY KEY, "
        "name TEXT NOT NULL, "
        "type TEXT NOT NULL, "
        "instance_id TEXT NOT NULL, "
        "source TEXT NOT NULL, "
        "enabled INTEGER NOT NULL, "
        "settings TEXT NOT NULL, "
        "events TEXT NOT NULL, "
        "printer_ids TEXT NOT NULL, "
        "quiet_hours TEXT NOT NULL, "
        "disabled_reason TEXT NOT NULL, "
        "disabled_at_ms BIGINT NOT NULL, "
        "failing_since_ms BIGINT NOT NULL, "
        "created_at_ms BIGINT NOT NULL, "
        "updated_at_ms BIGINT NOT NULL, "
        "UNIQUE (type, instance_id))",
        // The outbox and the delivery log: one row per (event, provider), 0 / '' for "none".
        "CREATE TABLE notification_deliveries ("
        "id INTEGER PRIMARY KEY, "
        "provider_id BIGINT NOT NULL, "
        "event_id TEXT NOT NULL, "
        "event_type TEXT NOT NULL, "
        "notification TEXT NOT NULL, "
        "status TEXT NOT NULL, "
        "attempts INTEGER NOT NULL, "
        "next_attempt_at_ms BIGINT NOT NULL, "
        "http_status INTEGER NOT NULL, "
        "error TEXT NOT NULL, "
        "response_snippet TEXT NOT NULL, "
        "history TEXT NOT NULL, "
        "redelivery_of BIGINT NOT NULL, "
        "created_at_ms BIGINT NOT NULL, "
        "updated_at_ms BIGINT NOT NULL, "
        "delivered_at_ms BIGINT NOT NULL)",
        // The workers' scan of due rows per provider, the next wake-up, the log, trimming by age.
        "CREATE INDEX notification_deliveries_due ON notification_deliveries (provider_id, status, "
        "next_attempt_at_ms)",
        "CREATE INDEX notification_deliveries_next ON notification_deliveries (status, next_attempt_at_ms)",
        "CREATE INDEX notification_deliveries_log ON notification_deliveries (provider_id, id)",
        "CREATE INDEX notification_deliveries_created ON notification_deliveries (created_at_ms)"}},
      {6,
       "archive_day_counts",
       {// Archives per status, printer (0 = none) and UTC day, kept by ArchiveStore with every write;
        // list totals and statistics read these instead of scanning archives. Filled from the
        // archives already stored (sort times are never before 1970, so '/' is the day's floor).
        "CREATE TABLE archive_day_counts ("
        "status TEXT NOT NULL, "
        "day BIGINT NOT NULL, "
        "printer_id BIGINT NOT NULL, "
        "n BIGINT NOT NULL, "
        "seconds BIGINT NOT NULL, "
        "grams REAL NOT NULL, "
        "printer_name TEXT, "
        "PRIMARY KEY (status, day, printer_id))",
        // Reads never touch the table rows (the statistics read all of it).
        "CREATE INDEX archive_day_counts_cover ON archive_day_counts (status, day, printer_id, n, seconds, "
        "grams, "
        "printer_name)",
        "INSERT INTO archive_day_counts (status, day, printer_id, n, seconds, grams, printer_name) "
        "SELECT status, sort_at_ms / 86400000, COALESCE(printer_id, 0), COUNT(*), COALESCE(SUM(duration_s), "
        "0), "
        "COALESCE(SUM(filament_used_g), 0), MAX(printer_name) FROM archives "
        "GROUP BY status, sort_at_ms / 86400000, COALESCE(printer_id, 0)",
        "DROP INDEX archives_stats"}},
      {7,
       "print_start",
       {// The plate-clear gate: a printer whose print ended waits for someone to confirm the bed
        // is clear before the queue gives it the next job. NULL = the driver's default.
        "ALTER TABLE printers ADD COLUMN require_plate_clear INTEGER",
        "ALTER TABLE printers ADD COLUMN awaiting_plate_clear INTEGER NOT NULL DEFAULT 0",
        // What a queued print is started with: the plate and the options of print/start (JSON).
        "ALTER TABLE queue_items ADD COLUMN plate BIGINT",
        "ALTER TABLE queue_items ADD COLUMN print_options TEXT",
        // The plate a print record printed, and why its 3MF could not be archived (when not).
        "ALTER TABLE archives ADD COLUMN plate BIGINT", "ALTER TABLE archives ADD COLUMN file_reason TEXT"}},
      {8,
       "event_journal",
       {// Every lifecycle and queue event, written in the same transaction as the state that decided
        // it; consumers read it in id order, each from its own cursor (docs/adr/0006).
        "CREATE TABLE event_journal ("
        "id INTEGER PRIMARY KEY, "
        "event_id TEXT NOT NULL, "
        "type TEXT NOT NULL, "
        "printer_id BIGINT NOT NULL, "
        "created_at_ms BIGINT NOT NULL, "
        "payload TEXT NOT NULL, "
        "payload_version INTEGER NOT NULL)",
        "CREATE TABLE journal_cursors (consumer TEXT PRIMARY KEY, seq BIGINT NOT NULL)",
        // A print record knows the event that opened it, so replaying that event never opens a second.
        "ALTER TABLE archives ADD COLUMN start_event_id TEXT",
        "CREATE INDEX archives_start_event ON archives (start_event_id)",
        // Deliveries about one printer go to one provider in journal order (seq; 0 = no order).
        "ALTER TABLE notification_deliveries ADD COLUMN printer_id BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE notification_deliveries ADD COLUMN seq BIGINT NOT NULL DEFAULT 0",
        "CREATE INDEX notification_deliveries_event ON notification_deliveries (event_id)",
        "CREATE INDEX notification_deliveries_order ON notification_deliveries (provider_id, printer_id, "
        "seq)"}},
      {9,
       "archive_period_counts",
       {// Week (from Monday), month and year roll-ups of archive_day_counts, kept in the same write
        // transaction: a range's totals read whole years, then months, then days, so their cost
        // does not grow with the archive's age (docs/adr/0008). `period` is the UTC day number of
        // the period's first day; `kind` is 1 week, 2 month, 3 year.
        "CREATE TABLE archive_period_counts ("
        "kind INTEGER NOT NULL, "
        "status TEXT NOT NULL, "
        "period BIGINT NOT NULL, "
        "printer_id BIGINT NOT NULL, "
        "n BIGINT NOT NULL, "
        "seconds BIGINT NOT NULL, "
        "grams REAL NOT NULL, "
        "printer_name TEXT, "
        "PRIMARY KEY (kind, status, period, printer_id))",
        // Ranges are over time first: an index led by the period (or day) lets a read of a few
        // days or months seek to them whatever statuses it asks for.
        "CREATE INDEX archive_period_counts_cover ON archive_period_counts (kind, period, status, "
        "printer_id, n, "
        "seconds, grams, printer_name)",
        "DROP INDEX archive_day_counts_cover",
        "CREATE INDEX archive_day_counts_cover ON archive_day_counts (day, status, printer_id, n, seconds, "
        "grams, printer_name)"},
       fillPeriodCounts},
      {10,
       "archives_search",
       {// Name search (?q=) through a trigram index over name and filename: a phrase of trigrams is a
        // substring match, found without reading every archive (docs/adr/0008). SQLite only (FTS5);
        // kept in step with the archives table by triggers, so no writer can forget it.
        "CREATE VIRTUAL TABLE archives_search USING fts5(name, filename, content='archives', "
        "content_rowid='id', tokenize='trigram')",
        "INSERT INTO archives_search (archives_search) VALUES ('rebuild')",
        "CREATE TRIGGER archives_search_insert AFTER INSERT ON archives BEGIN "
        "INSERT INTO archives_search (rowid, name, filename) VALUES (new.id, new.name, new.filename); END",
        "CREATE TRIGGER archives_search_delete AFTER DELETE ON archives BEGIN "
        "INSERT INTO archives_search (archives_search, rowid, name, filename) "
        "VALUES ('delete', old.id, old.name, old.filename); END",
        "CREATE TRIGGER archives_search_update AFTER UPDATE OF name, filename ON archives "
        "WHEN old.name IS NOT new.name OR old.filename IS NOT new.filename BEGIN "
        "INSERT INTO archives_search (archives_search, rowid, name, filename) "
        "VALUES ('delete', old.id, old.name, old.filename); "
        "INSERT INTO archives_search (rowid, name, filename) VALUES (new.id, new.name, new.filename); END"},
       nullptr,
       // PostgreSQL: trigram GIN indexes (pg_trgm, shipped with the server) over the lower-cased
       // texts the search compares, so its LIKE '%...%' is found through the index.
       {"CREATE EXTENSION IF NOT EXISTS pg_trgm",
        "CREATE INDEX archives_name_trgm ON archives USING gin (LOWER(name) gin_trgm_ops)",
        "CREATE INDEX archives_filename_trgm ON archives USING gin (LOWER(COALESCE(filename, '')) "
        "gin_trgm_ops)"}},
      {11,
       "cluster",
       {// Several server instances on one PostgreSQL database (cluster/cluster_store.h): who is alive,
        // and who holds which lease (a printer's connection, a farm-wide role) until when.
        // served_at_ms: the instance's last API request (the rate limits' share, docs/adr/0009).
        "CREATE TABLE cluster_instances (id TEXT PRIMARY KEY, host TEXT NOT NULL, started_at_ms INTEGER NOT "
        "NULL, heartbeat_at_ms INTEGER NOT NULL, served_at_ms INTEGER NOT NULL DEFAULT 0)",
        "CREATE TABLE cluster_leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at_ms INTEGER NOT "
        "NULL)",
        "CREATE INDEX cluster_leases_holder ON cluster_leases (holder, expires_at_ms)"}},
      {12,
       "outbox_claims",
       {// The instance sending an open delivery claims it until a time it keeps renewing, so two
        // instances never send one row and a dead instance's rows are taken over once the claim
        // runs out (notifications/outbox_store.h).
        "ALTER TABLE notification_deliveries ADD COLUMN claimed_by TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE notification_deliveries ADD COLUMN claim_until_ms BIGINT NOT NULL DEFAULT 0"}},
      {13,
       "printer_live",
       {// Several server instances: each printer's latest status answer, written by the instance
        // connected to it for the others to show (cluster/live_status_share.h). seq: the batch's
        // number in the id_sequences row 'printer_live' (readers follow it).
        "CREATE TABLE printer_live (printer_id BIGINT PRIMARY KEY, holder TEXT NOT NULL, seq BIGINT NOT "
        "NULL, "
        "status TEXT NOT NULL, updated_at_ms BIGINT NOT NULL)",
        "CREATE INDEX printer_live_seq ON printer_live (seq)"}},
      {14,
       "printer_commands",
       {// Several server instances: a printer command asked of an instance that does not connect the
        // printer, until the one that does has answered it (cluster/command_relay.h).
        "CREATE TABLE printer_commands (id BIGINT PRIMARY KEY, printer_id BIGINT NOT NULL, kind TEXT NOT "
        "NULL, "
        "request TEXT NOT NULL, requested_by TEXT NOT NULL, taken_by TEXT NOT NULL DEFAULT '', answer_status "
        "INTEGER NOT NULL DEFAULT 0, answer TEXT NOT NULL DEFAULT '', created_at_ms BIGINT NOT NULL)",
        "CREATE INDEX printer_commands_open ON printer_commands (taken_by, id)"}},
  };
  return migrations;
}

} // namespace bambuddy::storage
