// Numbered, forward-only schema migrations, recorded in `schema_migrations`.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace soci {
class session;
}

namespace bambuddy {
class Logger;
}

namespace bambuddy::storage {

class Database;

struct Migration {
  int version;                         // 1, 2, 3, ... with no gaps
  std::string name;                    // short label, stored next to the version
  std::vector<std::string> statements; // run in order, in one transaction with the version row
  // Runs after the statements, in the same transaction: for data changes that portable SQL cannot
  // say (calendar arithmetic). Empty for most migrations.
  std::function<void(soci::session&)> code = nullptr;
  // On PostgreSQL, run instead of `statements` when not empty: for what only SQLite has (FTS5).
  // Otherwise `statements` run there too, spelled for PostgreSQL (forPostgresql).
  std::vector<std::string> postgresql = {};
};

// Brings the schema up to the last migration in `migrations`. Each missing migration runs in its
// own write transaction, so a failure leaves the database at the previous version.
// Throws std::logic_error when the list is not numbered 1..N, and StorageError when a
// migration fails or the database was written by a newer build (version above N).
void migrate(Database& db, const std::vector<Migration>& migrations, Logger& logger);

// migrate() inside the transaction the caller holds open on `session` (`backend` "sqlite3" or
// "postgresql"), so a tool can create the schema and fill it all or nothing (PostgreSQL's DDL is
// transactional). `where` names the database in messages. Throws as migrate() does.
void migrateWithin(soci::session& session, const std::string& backend, const std::string& where,
                   const std::vector<Migration>& migrations, Logger& logger);

// A statement written for SQLite as PostgreSQL needs it: an INTEGER PRIMARY KEY numbers the rows
// an insert leaves it out of (an identity column), INTEGER is 64-bit in SQLite (BIGINT),
// REAL is 8 bytes (DOUBLE PRECISION, not PostgreSQL's 4-byte REAL), BLOB is BYTEA, and text columns
// of new tables compare bytewise as SQLite's do (COLLATE "C", whatever the server's locale).
std::string forPostgresql(const std::string& statement);

// The core schema. New migrations are appended; released ones are never edited.
const std::vector<Migration>& coreMigrations();

} // namespace bambuddy::storage
