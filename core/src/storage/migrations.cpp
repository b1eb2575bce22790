#include "storage/migrations.h"

#include "common/logger.h"
#include "common/time.h"
#include "storage/database.h"

#include <algorithm>
#include <stdexcept>

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

// Returns false when another process applied the migration first.
bool applyOne(Database& db, const Migration& m) {
  return db.write([&](soci::session& session) {
    if (isApplied(session, m.version)) {
      return false;
    }
    for (std::size_t i = 0; i < m.statements.size(); ++i) {
      try {
        session << m.statements[i];
      } catch (const std::exception& e) {
        throw StorageError("migration " + std::to_string(m.version) + " (" + m.name +
                           ") failed at statement " + std::to_string(i + 1) + " of " +
                           std::to_string(m.statements.size()) + ": " + e.what());
      }
    }
    const std::string applied_at = formatUtcMs(nowUtcMs());
    session << "INSERT INTO schema_migrations (version, name, applied_at) VALUES (:v, :n, :t)",
        soci::use(m.version), soci::use(m.name), soci::use(applied_at);
    return true;
  });
}

} // namespace

void migrate(Database& db, const std::vector<Migration>& migrations, Logger& logger) {
  validateList(migrations);
  const int known = static_cast<int>(migrations.size());

  std::vector<int> applied;
  try {
    db.write([](soci::session& session) {
      session << "CREATE TABLE IF NOT EXISTS schema_migrations ("
                 "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";
    });
    applied = db.read([](soci::session& session) { return appliedVersions(session); });
  } catch (const StorageError&) {
    throw;
  } catch (const std::exception& e) {
    throw StorageError("cannot read schema version of '" + db.path() + "': " + e.what());
  }

  const int current = applied.empty() ? 0 : applied.back();
  if (current > known) {
    throw StorageError("database '" + db.path() + "' has schema version " + std::to_string(current) +
                       ", but this build only knows up to version " + std::to_string(known) +
                       "; refusing to start (use a newer build or restore a backup)");
  }

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
  };
  return migrations;
}

} // namespace bambuddy::storage
