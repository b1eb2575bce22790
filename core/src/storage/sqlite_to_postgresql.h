// bambuddy --migrate-sqlite-to-postgresql FILE URL: moves an existing install's SQLite database into
// an empty PostgreSQL database, all or nothing, and checks the row counts on both sides.
#pragma once

#include "storage/migrations.h"

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace bambuddy {
class Logger;
}

namespace bambuddy::storage {

struct CopiedTable {
  std::string name;
  int64_t rows = 0; // counted on both sides after the copy, and equal
};

struct SqliteCopyReport {
  std::string sqlite_path;
  std::string url; // holds no password (refused before connecting)
  int schema_version = 0;
  std::vector<CopiedTable> tables;  // in copy order (tables referenced by foreign keys first)
  std::vector<std::string> skipped; // SQLite-only tables: the FTS5 index and its shadow tables
  int64_t elapsed_ms = 0;
};

// Copies every table of the Bambuddy SQLite file at `sqlite_path` (opened read-only; one read
// snapshot, so a consistent copy) into the PostgreSQL database at `url`, in one transaction on the
// target: the schema is created there by the core migrations, the rows are streamed with COPY, the
// identity sequences are moved past the highest id, and the row counts are compared; any failure
// rolls all of it back. Tables are found from the SQLite schema, so tables of later migrations are
// copied too; SQLite's own tables, the FTS5 index and schema_migrations are not (the target keeps
// its own).
//
// Throws StorageError with the reason when: the file is missing or not an SQLite database, its
// schema is not this build's (older: start this version on it once first; newer: use that build),
// the URL holds a password, the server cannot be reached, the target already holds rows, its
// encoding is not UTF8, a value has no faithful PostgreSQL form, or the counts differ.
// `migrations`: the schema both sides are at (the command's is the core schema; tests add tables).
SqliteCopyReport copySqliteToPostgresql(const std::string& sqlite_path, const std::string& url,
                                        Logger& logger,
                                        const std::vector<Migration>& migrations = coreMigrations());

// The per-table report the command prints on success.
void printReport(const SqliteCopyReport& report, std::ostream& out);

} // namespace bambuddy::storage
