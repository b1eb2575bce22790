#include "storage/sqlite_to_postgresql.h"

#include "common/logger.h"
#include "storage/copy_text.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "storage/sqlite_file.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <utility>

#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>

namespace bambuddy::storage {

namespace {

constexpr const char* kComponent = "storage";
// Rows are handed to libpq in chunks of about this size: large enough that the per-call cost
// vanishes, small enough to stay out of the way in memory.
constexpr std::size_t kCopyChunkBytes = std::size_t{1} << 20;

// How a PostgreSQL column takes a value in COPY's text form.
enum class ColumnKind { Integer, Float, Bytes, Text };

struct Column {
  std::string name;
  ColumnKind kind = ColumnKind::Text;
  std::string pg_type;
  bool identity = false;
};

struct Table {
  std::string name;
  std::vector<std::string> references; // tables its foreign keys point at
  std::vector<Column> columns;         // SQLite's order; kinds filled from the target
};

std::string quoted(const std::string& identifier) {
  std::string out = "\"";
  for (char c : identifier) {
    out += c;
    if (c == '"') {
      out += '"';
    }
  }
  return out + "\"";
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    out += (out.empty() ? "" : ", ") + name;
  }
  return out;
}

ColumnKind kindOf(const std::string& pg_type) {
  if (pg_type == "bigint" || pg_type == "integer" || pg_type == "smallint") {
    return ColumnKind::Integer;
  }
  if (pg_type == "double precision" || pg_type == "real" || pg_type == "numeric") {
    return ColumnKind::Float;
  }
  return pg_type == "bytea" ? ColumnKind::Bytes : ColumnKind::Text;
}

// Ends the read transaction that holds the snapshot, however the copy ends.
class ReadSnapshot {
public:
  explicit ReadSnapshot(SqliteFile& file) : file_(file) { file_.execute("BEGIN"); }
  ~ReadSnapshot() {
    try {
      file_.execute("COMMIT");
    } catch (...) { // a read transaction leaves nothing to keep
    }
  }
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

private:
  SqliteFile& file_;
};

int64_t countRows(SqliteFile& file, const std::string& table) {
  SqliteFile::Query q = file.query("SELECT COUNT(*) FROM " + quoted(table));
  q.next();
  return q.integer(0);
}

// The schema version of the file, which must be this build's: the target is created at this
// build's version, so both sides then have the same tables and columns.
int sourceVersion(SqliteFile& file, int known) {
  SqliteFile::Query has =
      file.query("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'");
  has.next();
  if (has.integer(0) == 0) {
    throw StorageError("'" + file.path() +
                       "' is not a Bambuddy database (it has no schema_migrations table)");
  }
  SqliteFile::Query q = file.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  q.next();
  const int version = static_cast<int>(q.integer(0));
  if (version < known) {
    throw StorageError("'" + file.path() + "' has schema version " + std::to_string(version) +
                       ", this build's is " + std::to_string(known) +
                       ": start this version of the server once on the SQLite file (it brings the schema "
                       "up to date), stop it, then run the copy again");
  }
  if (version > known) {
    throw StorageError("'" + file.path() + "' has schema version " + std::to_string(version) +
                       ", newer than this build's " + std::to_string(known) +
                       ": run the copy with the build that wrote it");
  }
  return version;
}

// Kahn's order: a table after every table its foreign keys reference; ties alphabetical.
std::vector<Table> inForeignKeyOrder(std::vector<Table> tables) {
  std::set<std::string> names;
  for (const Table& t : tables) {
    names.insert(t.name);
  }
  std::set<std::string> placed;
  std::vector<Table> out;
  while (!tables.empty()) {
    auto ready = std::find_if(tables.begin(), tables.end(), [&](const Table& t) {
      return std::all_of(t.references.begin(), t.references.end(), [&](const std::string& r) {
        return r == t.name || names.count(r) == 0 || placed.count(r) > 0;
      });
    });
    if (ready == tables.end()) {
      std::vector<std::string> left;
      for (const Table& t : tables) {
        left.push_back(t.name);
      }
      throw StorageError("the foreign keys of these tables form a cycle, which a copy table by table cannot "
                         "fill: " +
                         joined(left));
    }
    placed.insert(ready->name);
    out.push_back(std::move(*ready));
    tables.erase(ready);
  }
  return out;
}

// The tables to copy, with their columns; SQLite's own, virtual and shadow tables are left out
// (into `skipped`), and so is the migration bookkeeping.
std::vector<Table> sourceTables(SqliteFile& file, std::vector<std::string>& skipped) {
  std::vector<Table> tables;
  SqliteFile::Query list = file.query("SELECT name, type FROM pragma_table_list WHERE schema = 'main' "
                                      "AND type IN ('table', 'virtual', 'shadow') ORDER BY name");
  while (list.next()) {
    const std::string name(list.text(0));
    const std::string type(list.text(1));
    if (name.rfind("sqlite_", 0) == 0 || name == "schema_migrations") {
      continue;
    }
    if (type != "table") {
      skipped.push_back(name);
      continue;
    }
    tables.push_back(Table{name, {}, {}});
  }
  for (Table& table : tables) {
    SqliteFile::Query columns = file.query("SELECT name FROM pragma_table_info(?1) ORDER BY cid");
    columns.bind(1, table.name);
    while (columns.next()) {
      Column column;
      column.name = columns.text(0);
      table.columns.push_back(column);
    }
    SqliteFile::Query keys = file.query("SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?1)");
    keys.bind(1, table.name);
    while (keys.next()) {
      table.references.emplace_back(keys.text(0));
    }
  }
  return inForeignKeyOrder(std::move(tables));
}

// Rows already in the target, in any table of its schema: the copy goes into an empty database
// only, so nothing of an install (or of another application) is mixed in or lost.
void refuseNonEmpty(soci::session& session, const std::string& url) {
  std::vector<std::string> names;
  soci::rowset<std::string> rows =
      (session.prepare << "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                          "current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name");
  for (const std::string& name : rows) {
    names.push_back(name);
  }
  std::vector<std::string> filled;
  for (const std::string& name : names) {
    if (name == "schema_migrations") {
      continue; // an empty schema created by an earlier run or a server start counts as empty
    }
    int has_rows = 0;
    session << "SELECT CASE WHEN EXISTS (SELECT 1 FROM " + quoted(name) + ") THEN 1 ELSE 0 END",
        soci::into(has_rows);
    if (has_rows != 0) {
      filled.push_back(name);
    }
  }
  if (!filled.empty()) {
    throw StorageError("the target database " + url + " is not empty (rows in " + joined(filled) +
                       "): the copy goes into an empty database only; create one (createdb) or empty these "
                       "tables");
  }
}

// SQLite's text is UTF-8: a database in another encoding would refuse or change some of it.
void prepareSession(soci::session& session, const std::string& url) {
  std::string encoding;
  session << "SHOW server_encoding", soci::into(encoding);
  if (encoding != "UTF8") {
    throw StorageError("the target database " + url + " has encoding " + encoding +
                       "; SQLite text is UTF-8: create the database with ENCODING 'UTF8'");
  }
  session << "SET client_encoding TO 'UTF8'";
  // No "relation already exists, skipping" notices on the operator's terminal.
  session << "SET client_min_messages TO warning";
}

// Fills each column's kind from the target's table, which must have the same columns.
void matchColumns(soci::session& session, Table& table) {
  std::map<std::string, Column> target;
  soci::rowset<soci::row> rows =
      (session.prepare << "SELECT column_name, data_type, is_identity FROM information_schema.columns WHERE "
                          "table_schema = current_schema() AND table_name = :t",
       soci::use(table.name));
  for (const soci::row& row : rows) {
    Column c;
    c.name = row.get<std::string>(0);
    c.pg_type = row.get<std::string>(1);
    c.kind = kindOf(c.pg_type);
    c.identity = row.get<std::string>(2) == "YES";
    target[c.name] = c;
  }
  if (target.empty()) {
    throw StorageError("table " + table.name + " of the SQLite file has no counterpart in PostgreSQL");
  }
  std::vector<std::string> only_sqlite;
  for (Column& c : table.columns) {
    auto found = target.find(c.name);
    if (found == target.end()) {
      only_sqlite.push_back(c.name);
      continue;
    }
    c = found->second;
    target.erase(found);
  }
  if (!only_sqlite.empty() || !target.empty()) {
    std::vector<std::string> only_pg;
    for (const auto& entry : target) {
      only_pg.push_back(entry.first);
    }
    throw StorageError("table " + table.name +
                       " has other columns in PostgreSQL than in the SQLite file (only in "
                       "SQLite: " +
                       (only_sqlite.empty() ? "none" : joined(only_sqlite)) +
                       "; only in PostgreSQL: " + (only_pg.empty() ? "none" : joined(only_pg)) + ")");
  }
}

// One SQLite value in COPY's text form for the column, or a StorageError when PostgreSQL could
// only take it changed (a fraction in an integer column, text in a number column, a blob in one).
void appendValue(std::string& out, const SqliteFile::Query& q, int index, const Table& table, int64_t row) {
  const Column& column = table.columns[static_cast<std::size_t>(index)];
  auto refuse = [&](const char* what) {
    throw StorageError("table " + table.name + ", column " + column.name + ", row " + std::to_string(row) +
                       ": " + what + " cannot be stored as " + column.pg_type + " without changing it");
  };
  std::size_t size = 0;
  switch (q.type(index)) {
  case StorageClass::Null:
    copy_text::appendNull(out);
    return;
  case StorageClass::Integer:
    if (column.kind == ColumnKind::Bytes) {
      refuse("an integer");
    }
    copy_text::appendInteger(out, q.integer(index));
    return;
  case StorageClass::Real: {
    const double value = q.real(index);
    if (column.kind == ColumnKind::Integer) {
      // Exactly representable integers only (2^63 itself is out of range).
      if (!(std::trunc(value) == value && value >= -9223372036854775808.0 && value < 9223372036854775808.0)) {
        refuse("a real with a fraction");
      }
      copy_text::appendInteger(out, static_cast<int64_t>(value));
    } else if (column.kind == ColumnKind::Float) {
      copy_text::appendDouble(out, value);
    } else if (column.kind == ColumnKind::Text) {
      const std::string_view text = q.text(index); // SQLite's own spelling, as a cast to TEXT gives
      copy_text::appendText(out, text.data(), text.size());
    } else {
      refuse("a real");
    }
    return;
  }
  case StorageClass::Text:
    if (column.kind == ColumnKind::Integer || column.kind == ColumnKind::Float) {
      refuse("a text value");
    } else if (column.kind == ColumnKind::Bytes) {
      const unsigned char* data = q.blob(index, size);
      copy_text::appendBytea(out, data, size);
    } else {
      const std::string_view text = q.text(index);
      copy_text::appendText(out, text.data(), text.size());
    }
    return;
  case StorageClass::Blob: {
    const unsigned char* data = q.blob(index, size);
    if (column.kind == ColumnKind::Bytes) {
      copy_text::appendBytea(out, data, size);
    } else if (column.kind == ColumnKind::Text) {
      // PostgreSQL checks the bytes are UTF-8 without NULs, and says so when they are not.
      copy_text::appendText(out, reinterpret_cast<const char*>(data), size);
    } else {
      refuse("a blob");
    }
    return;
  }
  }
}

// libpq's message on one line ("ERROR:  ...; CONTEXT:  COPY kv, line 3").
std::string oneLine(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  for (std::size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at)) {
    text.replace(at, 1, "; ");
  }
  return text;
}

// Streams one table through COPY ... FROM STDIN on the session's connection (inside its
// transaction). Returns the rows PostgreSQL reports it took.
int64_t copyTable(SqliteFile& source, PGconn* conn, const Table& table) {
  std::string columns;
  for (const Column& c : table.columns) {
    columns += (columns.empty() ? "" : ", ") + quoted(c.name);
  }
  const auto fail = [&](const std::string& why) {
    throw StorageError("copying table " + table.name + " failed: " + oneLine(why));
  };
  PGresult* start = PQexec(conn, ("COPY " + quoted(table.name) + " (" + columns + ") FROM STDIN").c_str());
  const bool copying = PQresultStatus(start) == PGRES_COPY_IN;
  PQclear(start);
  if (!copying) {
    fail(PQerrorMessage(conn));
  }
  std::string buffer;
  buffer.reserve(kCopyChunkBytes + kCopyChunkBytes / 4);
  const auto put = [&]() {
    if (!buffer.empty() && PQputCopyData(conn, buffer.data(), static_cast<int>(buffer.size())) != 1) {
      fail(PQerrorMessage(conn));
    }
    buffer.clear();
  };
  try {
    SqliteFile::Query rows = source.query("SELECT " + columns + " FROM " + quoted(table.name));
    const int width = rows.columns();
    for (int64_t row = 1; rows.next(); ++row) {
      for (int i = 0; i < width; ++i) {
        appendValue(buffer, rows, i, table, row);
        copy_text::endField(buffer);
      }
      copy_text::endRow(buffer);
      if (buffer.size() >= kCopyChunkBytes) {
        put();
      }
    }
    put();
  } catch (...) {
    // Ends the COPY with an error, so the connection is ready for the ROLLBACK that follows.
    PQputCopyEnd(conn, "the copy stopped on the client side");
    while (PGresult* r = PQgetResult(conn)) {
      PQclear(r);
    }
    throw;
  }
  if (PQputCopyEnd(conn, nullptr) != 1) {
    fail(PQerrorMessage(conn));
  }
  std::string error;
  int64_t copied = -1;
  while (PGresult* r = PQgetResult(conn)) {
    if (PQresultStatus(r) == PGRES_COMMAND_OK) {
      copied = std::stoll(PQcmdTuples(r));
    } else if (error.empty()) {
      error = PQresultErrorMessage(r);
    }
    PQclear(r);
  }
  if (!error.empty()) {
    fail(error);
  }
  return copied;
}

// Drops the table's indexes that back no constraint and returns the statements that build them
// again: one build after the copy is much cheaper than keeping them up to date row by row (measured
// with 100,000 archives: 3.2 s with the trigram indexes in place, 2.0 s dropped and rebuilt).
std::vector<std::string> dropSecondaryIndexes(soci::session& session, const std::string& table) {
  const std::string qualified = quoted(table);
  std::vector<std::pair<std::string, std::string>> indexes; // name, definition
  soci::rowset<soci::row> rows =
      (session.prepare
           << "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON "
              "c.oid = i.indexrelid WHERE i.indrelid = CAST(:t AS regclass) AND NOT EXISTS "
              "(SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) ORDER BY c.relname",
       soci::use(qualified));
  for (const soci::row& row : rows) {
    indexes.emplace_back(row.get<std::string>(0), row.get<std::string>(1));
  }
  std::vector<std::string> rebuild;
  for (const auto& [name, definition] : indexes) {
    session << "DROP INDEX " + quoted(name);
    rebuild.push_back(definition);
  }
  return rebuild;
}

// An identity column numbers the rows an insert leaves it out of: its next number must come after
// the ids copied in, or the first such insert collides.
void resetIdentities(soci::session& session, const Table& table) {
  for (const Column& c : table.columns) {
    if (!c.identity) {
      continue;
    }
    const std::string qualified = quoted(table.name);
    std::string sequence;
    session << "SELECT pg_get_serial_sequence(:t, :c)", soci::use(qualified), soci::use(c.name),
        soci::into(sequence);
    const std::string column = quoted(c.name);
    long long next = 0;
    session << "SELECT CASE WHEN COALESCE(MAX(" + column +
                   "), 0) < 1 THEN setval(:s1, 1, false) ELSE "
                   "setval(:s2, MAX(" +
                   column + "), true) END FROM " + qualified,
        soci::use(sequence), soci::use(sequence), soci::into(next);
  }
}

int64_t countTarget(soci::session& session, const std::string& table) {
  long long count = 0;
  session << "SELECT COUNT(*) FROM " + quoted(table), soci::into(count);
  return count;
}

} // namespace

SqliteCopyReport copySqliteToPostgresql(const std::string& sqlite_path, const std::string& url,
                                        Logger& logger, const std::vector<Migration>& migrations) {
  const auto started = std::chrono::steady_clock::now();
  SqliteCopyReport report;
  report.sqlite_path = sqlite_path;
  report.url = url;

  SqliteFile source(sqlite_path);
  ReadSnapshot snapshot(source);
  const int known = static_cast<int>(migrations.size());
  report.schema_version = sourceVersion(source, known);
  std::vector<Table> tables = sourceTables(source, report.skipped);

  DatabaseOptions options;
  options.url = url;
  options.pool_size = 1;
  std::unique_ptr<Database> target;
  try {
    target = std::make_unique<Database>(options, logger);
  } catch (const std::invalid_argument& e) {
    throw StorageError(std::string("cannot use the target: ") + e.what());
  }
  logger.info(kComponent, "copying " + sqlite_path + " (schema version " +
                              std::to_string(report.schema_version) + ", " + std::to_string(tables.size()) +
                              " tables) into " + url);

  target->write([&](soci::session& session) {
    prepareSession(session, url);
    refuseNonEmpty(session, url);
    migrateWithin(session, target->backend(), url, migrations, logger);
    PGconn* conn = static_cast<soci::postgresql_session_backend*>(session.get_backend())->conn_;
    for (Table& table : tables) {
      matchColumns(session, table);
      const auto table_started = std::chrono::steady_clock::now();
      const std::vector<std::string> indexes = dropSecondaryIndexes(session, table.name);
      const int64_t copied = copyTable(source, conn, table);
      for (const std::string& index : indexes) {
        session << index;
      }
      resetIdentities(session, table);
      const int64_t expected = countRows(source, table.name);
      const int64_t stored = countTarget(session, table.name);
      if (copied != expected || stored != expected) {
        throw StorageError("table " + table.name + ": " + std::to_string(expected) +
                           " rows in the SQLite file, " + std::to_string(copied) + " copied, " +
                           std::to_string(stored) + " counted in PostgreSQL; nothing was kept");
      }
      report.tables.push_back(CopiedTable{table.name, stored});
      const auto table_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - table_started)
                                .count();
      logger.info(kComponent, "copied " + table.name + ": " + std::to_string(stored) + " rows in " +
                                  std::to_string(table_ms) + " ms");
    }
  });
  report.elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
          .count();
  return report;
}

void printReport(const SqliteCopyReport& report, std::ostream& out) {
  std::size_t width = 5; // "total"
  int64_t total = 0;
  for (const CopiedTable& t : report.tables) {
    width = std::max(width, t.name.size());
    total += t.rows;
  }
  out << "copied " << report.sqlite_path << " (schema version " << report.schema_version << ") into "
      << report.url << " in " << report.elapsed_ms << " ms; row counts equal on both sides\n";
  out << std::left << std::setw(static_cast<int>(width)) << "table"
      << "  " << std::right << std::setw(12) << "rows"
      << "\n";
  for (const CopiedTable& t : report.tables) {
    out << std::left << std::setw(static_cast<int>(width)) << t.name << "  " << std::right << std::setw(12)
        << t.rows << "\n";
  }
  out << std::left << std::setw(static_cast<int>(width)) << "total"
      << "  " << std::right << std::setw(12) << total << "\n";
  if (!report.skipped.empty()) {
    out << "not copied: " << joined(report.skipped)
        << " (SQLite's full-text index; PostgreSQL searches through pg_trgm indexes instead)\n";
  }
}

} // namespace bambuddy::storage
