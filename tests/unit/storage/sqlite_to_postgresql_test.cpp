// The SQLite-to-PostgreSQL copy (--migrate-sqlite-to-postgresql) on a real SQLite file and a real
// PostgreSQL 15: every table of the core schema, plus two test tables of a later migration (a blob
// column, and a foreign key whose parent sorts after its child), filled generically from the
// schema with extreme values (64-bit bounds, infinities, unicode and COPY's escape characters,
// empty strings next to NULLs, every byte value), then compared row by row with the target; new
// rows still get fresh ids after the copy. Every refusal and failure leaves the target as it was.
#include "storage/database.h"
#include "storage/migrations.h"
#include "storage/sqlite_file.h"
#include "storage/sqlite_to_postgresql.h"

#include "storage_test_util.h"
#include "support/loopback_port.h"
#include "support/postgres_server.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace bambuddy::storage {
namespace sqlite_to_postgresql_test {

using test::LogCapture;

// The core schema and one more migration, as a later release would add one: the copy must take its
// tables without knowing them. a_blobs references z_parents, so copying alphabetically would fail.
const std::vector<Migration>& schema() {
  static const std::vector<Migration> migrations = [] {
    std::vector<Migration> out = coreMigrations();
    const int next = static_cast<int>(out.size()) + 1;
    out.push_back(Migration{next,
                            "test_tables",
                            {"CREATE TABLE z_parents (id INTEGER PRIMARY KEY, label TEXT NOT NULL)",
                             "CREATE TABLE a_blobs (id INTEGER PRIMARY KEY, parent_id BIGINT NOT NULL "
                             "REFERENCES z_parents (id), data BLOB, note TEXT)"}});
    return out;
  }();
  return migrations;
}

struct SchemaColumn {
  std::string name;
  std::string type; // declared type, upper case
  bool not_null = false;
  bool key = false;       // part of the primary key
  bool reference = false; // a foreign key column
};

struct SchemaTable {
  std::string name;
  std::vector<SchemaColumn> columns;
  bool has_references = false;
};

std::string hex(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 0x0f];
  }
  return out;
}

std::string sqlText(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') {
      out += '\'';
    }
  }
  return out + "'";
}

std::string everyByte() {
  std::string bytes;
  for (int i = 0; i < 256; ++i) {
    bytes += static_cast<char>(i);
  }
  return bytes;
}

// Ids of rows 0, 1, 2: the second is far above the others, so the identity sequence must jump.
const char* const kIds[] = {"1", "4611686018427387904", "3"};

// The SQL literal for a column in row 0, 1 or 2: row 0 holds large and unusual values, row 1 the
// other extremes and COPY's escape characters, row 2 NULL where allowed (else empty or tiny values).
std::string literal(const SchemaColumn& c, int row) {
  const bool integer = c.type.find("INT") != std::string::npos;
  if (c.reference || (c.key && integer)) {
    return kIds[row];
  }
  const std::string suffix = c.key ? "#" + std::to_string(row) : "";
  if (row == 2 && !c.not_null && !c.key) {
    return "NULL";
  }
  if (integer) {
    const char* const values[] = {"9223372036854775807", "(-9223372036854775807 - 1)", "0"};
    return values[row];
  }
  if (c.type == "REAL") {
    const char* const values[] = {"0.1", "-1.2345678901234567e300", "9e999"}; // 9e999: +Infinity
    return values[row];
  }
  if (c.type == "BLOB") {
    const std::string values[] = {everyByte(), "", std::string(1, '\0')};
    return "X'" + hex(values[row]) + "'";
  }
  const std::string values[] = {"Grüße aus Köln — 🖨️ 日本語 ½",
                                "tab\tnewline\ncr\rbackslash\\ \\N quote' \"double\" \x01", ""};
  return sqlText(values[row] + suffix);
}

// The tables of the schema (SQLite's own, the FTS5 index and the bookkeeping left out), parents
// before the tables that reference them.
std::vector<SchemaTable> tablesOf(const std::string& path) {
  SqliteFile file(path);
  std::vector<SchemaTable> tables;
  SqliteFile::Query names = file.query("SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = "
                                       "'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' "
                                       "ORDER BY name");
  while (names.next()) {
    tables.push_back(SchemaTable{std::string(names.text(0)), {}, false});
  }
  for (SchemaTable& t : tables) {
    SqliteFile::Query columns =
        file.query("SELECT name, UPPER(type), \"notnull\", pk FROM pragma_table_info(?1) ORDER BY cid");
    columns.bind(1, t.name);
    while (columns.next()) {
      t.columns.push_back(SchemaColumn{std::string(columns.text(0)), std::string(columns.text(1)),
                                       columns.integer(2) != 0, columns.integer(3) != 0, false});
    }
    SqliteFile::Query references = file.query("SELECT \"from\" FROM pragma_foreign_key_list(?1)");
    references.bind(1, t.name);
    while (references.next()) {
      for (SchemaColumn& c : t.columns) {
        c.reference = c.reference || c.name == references.text(0);
      }
      t.has_references = true;
    }
  }
  std::stable_partition(tables.begin(), tables.end(), [](const SchemaTable& t) { return !t.has_references; });
  return tables;
}

// Three rows in every table of the SQLite file at `path`, which gets the whole schema first.
std::vector<std::string> fillSqlite(const std::string& path, Logger& logger) {
  DatabaseOptions options;
  options.path = path;
  options.pool_size = 1;
  Database db(options, logger);
  migrate(db, schema(), logger);
  std::vector<std::string> names;
  const std::vector<SchemaTable> tables = tablesOf(path);
  db.write([&](soci::session& s) {
    for (const SchemaTable& t : tables) {
      names.push_back(t.name);
      for (int row = 0; row < 3; ++row) {
        std::string columns;
        std::string values;
        for (const SchemaColumn& c : t.columns) {
          columns += (columns.empty() ? "" : ", ") + c.name;
          values += (values.empty() ? "" : ", ") + literal(c, row);
        }
        s << "INSERT INTO " + t.name + " (" + columns + ") VALUES (" + values + ")";
      }
    }
  });
  return names;
}

std::string shortest(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

// A table's rows in a canonical form ("i:", "r:", "t:", "b:" hex, "NULL"), ordered by every column.
using Rows = std::vector<std::vector<std::string>>;

std::string orderBy(const std::vector<std::string>& columns) {
  std::string out;
  for (const std::string& c : columns) {
    out += (out.empty() ? "" : ", ") + c + " NULLS FIRST";
  }
  return out;
}

std::string joinedColumns(const std::vector<std::string>& columns) {
  std::string out;
  for (const std::string& c : columns) {
    out += (out.empty() ? "" : ", ") + c;
  }
  return out;
}

Rows sqliteRows(SqliteFile& file, const std::string& table, const std::vector<std::string>& columns) {
  Rows rows;
  SqliteFile::Query q =
      file.query("SELECT " + joinedColumns(columns) + " FROM " + table + " ORDER BY " + orderBy(columns));
  while (q.next()) {
    std::vector<std::string> row;
    for (int i = 0; i < q.columns(); ++i) {
      std::size_t size = 0;
      switch (q.type(i)) {
      case StorageClass::Null:
        row.push_back("NULL");
        break;
      case StorageClass::Integer:
        row.push_back("i:" + std::to_string(q.integer(i)));
        break;
      case StorageClass::Real:
        row.push_back("r:" + shortest(q.real(i)));
        break;
      case StorageClass::Text:
        row.push_back("t:" + std::string(q.text(i)));
        break;
      case StorageClass::Blob: {
        const unsigned char* data = q.blob(i, size);
        row.push_back("b:" + hex(data == nullptr ? std::string()
                                                 : std::string(reinterpret_cast<const char*>(data), size)));
        break;
      }
      }
    }
    rows.push_back(row);
  }
  return rows;
}

// A libpq connection for reading the target as it is, outside the tool.
class Pg {
public:
  explicit Pg(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) {
      throw std::runtime_error(std::string("cannot connect: ") + PQerrorMessage(conn_));
    }
  }
  ~Pg() { PQfinish(conn_); }
  Pg(const Pg&) = delete;
  Pg& operator=(const Pg&) = delete;

  // Every value as text (NULL as "NULL"); throws on an error.
  std::vector<std::vector<std::string>> query(const std::string& sql, std::vector<Oid>* types = nullptr) {
    PGresult* r = PQexec(conn_, sql.c_str());
    if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
      std::string why = PQresultErrorMessage(r);
      PQclear(r);
      throw std::runtime_error(sql + ": " + why);
    }
    std::vector<std::vector<std::string>> out;
    for (int i = 0; i < PQntuples(r); ++i) {
      std::vector<std::string> row;
      for (int j = 0; j < PQnfields(r); ++j) {
        row.push_back(PQgetisnull(r, i, j) ? "NULL" : std::string(PQgetvalue(r, i, j), PQgetlength(r, i, j)));
      }
      out.push_back(row);
    }
    if (types != nullptr) {
      types->clear();
      for (int j = 0; j < PQnfields(r); ++j) {
        types->push_back(PQftype(r, j));
      }
    }
    PQclear(r);
    return out;
  }
  std::string scalar(const std::string& sql) { return query(sql).at(0).at(0); }

  Rows rows(const std::string& table, const std::vector<std::string>& columns) {
    std::vector<Oid> types;
    Rows rows = query("SELECT " + joinedColumns(columns) + " FROM " + table + " ORDER BY " + orderBy(columns),
                      &types);
    for (auto& row : rows) {
      for (std::size_t j = 0; j < row.size(); ++j) {
        if (row[j] == "NULL") {
          continue;
        }
        switch (types[j]) {
        case 20: // int8
        case 23: // int4
          row[j] = "i:" + row[j];
          break;
        case 701: // float8
          row[j] = "r:" + shortest(std::strtod(row[j].c_str(), nullptr));
          break;
        case 17: // bytea, "\x..."
          row[j] = "b:" + row[j].substr(2);
          break;
        default:
          row[j] = "t:" + row[j];
        }
      }
    }
    return rows;
  }

  // Every table of the public schema with its row count: what "unchanged" compares.
  std::map<std::string, std::string> snapshot() {
    std::map<std::string, std::string> out;
    for (const auto& row : query("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                                 "'public' ORDER BY table_name")) {
      out[row[0]] = scalar("SELECT COUNT(*) FROM \"" + row[0] + "\"");
    }
    return out;
  }

private:
  PGconn* conn_;
};

class SqliteToPostgresqlTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (testing::PostgresServer::binDir().empty()) {
      GTEST_SKIP() << "PostgreSQL 15 is not installed (scripts/setup installs it)";
    }
    server_.start();
  }

  // A new empty target database: its URL, and a connection to read it directly.
  std::string target(const std::string& name) {
    const std::string url = server_.createDatabase(name);
    pg_ = std::make_unique<Pg>(server_.connectionString(name));
    return url;
  }

  // Expects the copy to fail with `expected` in its message, naming no secret.
  void expectRefused(const std::string& sqlite, const std::string& url, const std::string& expected) {
    try {
      copySqliteToPostgresql(sqlite, url, log_.logger(), schema());
      ADD_FAILURE() << "copy succeeded; expected: " << expected;
    } catch (const StorageError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }

  testing::PostgresServer server_;
  testing::TempDir dir_;
  LogCapture log_;
  std::unique_ptr<Pg> pg_;
};

TEST_F(SqliteToPostgresqlTest, EveryTableIsCopiedExactlyAndIdsContinueAfterTheCopy) {
  const std::string sqlite = dir_.file("data/bambuddy.db");
  const std::vector<std::string> tables = fillSqlite(sqlite, log_.logger());
  const std::string url = target("copy");

  const SqliteCopyReport report = copySqliteToPostgresql(sqlite, url, log_.logger(), schema());

  EXPECT_EQ(report.schema_version, static_cast<int>(schema().size()));
  std::vector<std::string> copied;
  for (const CopiedTable& t : report.tables) {
    copied.push_back(t.name);
    EXPECT_EQ(t.rows, 3) << t.name;
  }
  // Every table of the schema, the referenced z_parents before a_blobs.
  EXPECT_EQ(std::set<std::string>(copied.begin(), copied.end()),
            std::set<std::string>(tables.begin(), tables.end()));
  EXPECT_LT(std::find(copied.begin(), copied.end(), "z_parents"),
            std::find(copied.begin(), copied.end(), "a_blobs"));
  for (const char* name :
       {"archives", "printers", "kv", "audit_log", "event_journal", "notification_deliveries",
        "notification_providers", "queue_items", "archive_day_counts", "archive_period_counts",
        "id_sequences", "journal_cursors", "a_blobs", "z_parents"}) {
    EXPECT_NE(std::find(copied.begin(), copied.end(), name), copied.end()) << name;
  }
  // The FTS5 index (filled by the archives triggers) and its shadow tables stay behind.
  EXPECT_NE(std::find(report.skipped.begin(), report.skipped.end(), "archives_search"), report.skipped.end());
  EXPECT_NE(std::find(report.skipped.begin(), report.skipped.end(), "archives_search_data"),
            report.skipped.end());
  EXPECT_EQ(
      pg_->scalar("SELECT COUNT(*) FROM information_schema.tables WHERE table_name LIKE 'archives_search%'"),
      "0");
  EXPECT_EQ(pg_->scalar("SELECT COUNT(*) FROM schema_migrations"), std::to_string(schema().size()));
  // The indexes dropped for the copy are back, as a server start creates them.
  const std::string indexes =
      "SELECT indexname, regexp_replace(indexdef, ' ON .*\\.', ' ON ') FROM pg_indexes "
      "WHERE schemaname = 'public' ORDER BY indexname";
  const auto copied_indexes = pg_->query(indexes);
  {
    DatabaseOptions options;
    options.url = server_.createDatabase("fresh");
    options.pool_size = 1;
    Database fresh(options, log_.logger());
    migrate(fresh, schema(), log_.logger());
  }
  EXPECT_EQ(copied_indexes, Pg(server_.connectionString("fresh")).query(indexes));
  EXPECT_GE(copied_indexes.size(), 20u);

  SqliteFile file(sqlite);
  for (const std::string& table : tables) {
    std::vector<std::string> columns;
    SqliteFile::Query q = file.query("SELECT name FROM pragma_table_info('" + table + "') ORDER BY cid");
    while (q.next()) {
      columns.emplace_back(q.text(0));
    }
    const Rows expected = sqliteRows(file, table, columns);
    ASSERT_EQ(expected.size(), 3u) << table;
    EXPECT_EQ(pg_->rows(table, columns), expected) << table;
  }

  // The next id an identity column hands out comes after the copied ones (the highest is 2^62).
  EXPECT_EQ(
      pg_->scalar("INSERT INTO audit_log (at, at_ms, kind) VALUES ('now', 1, 'after_copy') RETURNING id"),
      "4611686018427387905");
  EXPECT_EQ(pg_->scalar("INSERT INTO a_blobs (parent_id, data) VALUES (3, '\\x00ff') RETURNING id"),
            "4611686018427387905");
  for (const auto& row : pg_->query("SELECT table_name, column_name FROM information_schema.columns WHERE "
                                    "table_schema = 'public' AND is_identity = 'YES'")) {
    EXPECT_EQ(pg_->scalar("SELECT nextval(pg_get_serial_sequence('" + row[0] + "', '" + row[1] + "')) > " +
                          "(SELECT MAX(" + row[1] + ") FROM " + row[0] + ")"),
              "t")
        << row[0];
  }

  std::ostringstream out;
  printReport(report, out);
  EXPECT_NE(out.str().find("row counts equal on both sides"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("not copied: archives_search"), std::string::npos) << out.str();
}

TEST_F(SqliteToPostgresqlTest, AnEmptySchemaOnTheTargetIsAccepted) {
  const std::string sqlite = dir_.file("bambuddy.db");
  const std::vector<std::string> tables = fillSqlite(sqlite, log_.logger());
  const std::string url = target("schema_only");
  {
    DatabaseOptions options;
    options.url = url;
    options.pool_size = 1;
    Database db(options, log_.logger());
    migrate(db, schema(), log_.logger());
  }
  const SqliteCopyReport report = copySqliteToPostgresql(sqlite, url, log_.logger(), schema());
  EXPECT_EQ(report.tables.size(), tables.size());
  EXPECT_EQ(pg_->scalar("SELECT COUNT(*) FROM printers"), "3");
  EXPECT_EQ(pg_->scalar("SELECT COUNT(*) FROM schema_migrations"), std::to_string(schema().size()));
}

TEST_F(SqliteToPostgresqlTest, ATargetWithRowsIsRefusedAndLeftAsItWas) {
  const std::string sqlite = dir_.file("bambuddy.db");
  fillSqlite(sqlite, log_.logger());
  const std::string url = target("in_use");
  {
    DatabaseOptions options;
    options.url = url;
    options.pool_size = 1;
    Database db(options, log_.logger());
    migrate(db, schema(), log_.logger());
    db.write([](soci::session& s) {
      s << "INSERT INTO kv (namespace, key, value, updated_at) VALUES ('a', 'b', 'c', 'd')";
    });
  }
  const auto before = pg_->snapshot();
  expectRefused(sqlite, url, "the target database " + url + " is not empty (rows in kv)");
  EXPECT_EQ(pg_->snapshot(), before);

  // Another application's table with rows counts as well; nothing of ours is created.
  const std::string other = target("other_app");
  pg_->query("CREATE TABLE notes (body TEXT)");
  pg_->query("INSERT INTO notes VALUES ('keep me')");
  expectRefused(sqlite, other, "is not empty (rows in notes)");
  EXPECT_EQ(pg_->snapshot(), (std::map<std::string, std::string>{{"notes", "1"}}));
}

TEST_F(SqliteToPostgresqlTest, AMissingOrForeignFileIsRefusedBeforeTheTargetIsTouched) {
  const std::string url = target("untouched");
  const std::string missing = dir_.file("nope.db");
  expectRefused(missing, url, "cannot open SQLite database '" + missing + "': No such file or directory");
  const std::string garbage = dir_.write("garbage.db", std::string(4096, 'x'));
  expectRefused(garbage, url, "file is not a database");
  const std::string unrelated = dir_.file("unrelated.db");
  {
    DatabaseOptions options;
    options.path = unrelated;
    Database db(options, log_.logger());
    db.write([](soci::session& s) { s << "CREATE TABLE t (x INTEGER)"; });
  }
  expectRefused(unrelated, url,
                "'" + unrelated + "' is not a Bambuddy database (it has no schema_migrations table)");
  EXPECT_TRUE(pg_->snapshot().empty());
}

TEST_F(SqliteToPostgresqlTest, AnOlderSchemaIsRefusedWithWhatToDo) {
  const std::string sqlite = dir_.file("old.db");
  {
    DatabaseOptions options;
    options.path = sqlite;
    Database db(options, log_.logger());
    migrate(db, std::vector<Migration>(schema().begin(), schema().begin() + 5), log_.logger());
  }
  const std::string url = target("older");
  expectRefused(sqlite, url,
                "has schema version 5, this build's is " + std::to_string(schema().size()) +
                    ": start this version of the server once on the SQLite file");
  EXPECT_TRUE(pg_->snapshot().empty());
}

TEST_F(SqliteToPostgresqlTest, APasswordInTheUrlOrAnUnreachableServerIsRefused) {
  const std::string sqlite = dir_.file("bambuddy.db");
  fillSqlite(sqlite, log_.logger());
  target("pw");
  const std::string with_password =
      "postgresql://" + server_.user() + ":s3cretpw@127.0.0.1:" + std::to_string(server_.port()) + "/pw";
  try {
    copySqliteToPostgresql(sqlite, with_password, log_.logger(), schema());
    ADD_FAILURE() << "a password in the URL was accepted";
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("holds a password; give it with PGPASSWORD"), std::string::npos)
        << e.what();
    EXPECT_EQ(std::string(e.what()).find("s3cretpw"), std::string::npos) << e.what();
  }
  EXPECT_EQ(log_.text().find("s3cretpw"), std::string::npos);
  EXPECT_TRUE(pg_->snapshot().empty());

  const std::string closed = "postgresql://" + server_.user() +
                             "@127.0.0.1:" + std::to_string(testing::pickFreeLoopbackPort()) +
                             "/pw?connect_timeout=5";
  expectRefused(sqlite, closed, "cannot open database " + closed + ": ");
}

TEST_F(SqliteToPostgresqlTest, AValueWithoutAFaithfulFormRollsEverythingBack) {
  const std::string sqlite = dir_.file("bambuddy.db");
  fillSqlite(sqlite, log_.logger());
  {
    DatabaseOptions options;
    options.path = sqlite;
    Database db(options, log_.logger());
    db.write([](soci::session& s) { s << "UPDATE archives SET favourite = 'yes' WHERE id = 3"; });
  }
  const std::string url = target("bad_value");
  expectRefused(sqlite, url, "table archives, column favourite, row ");
  expectRefused(sqlite, url, ": a text value cannot be stored as bigint without changing it");
  // Not even the schema stays: it was created in the same transaction.
  EXPECT_TRUE(pg_->snapshot().empty());
}

TEST_F(SqliteToPostgresqlTest, APostgresqlErrorInTheMiddleOfTheCopyRollsEverythingBack) {
  const std::string sqlite = dir_.file("bambuddy.db");
  fillSqlite(sqlite, log_.logger());
  {
    DatabaseOptions options;
    options.path = sqlite;
    Database db(options, log_.logger());
    // Not UTF-8: PostgreSQL's text refuses it, after the tables before queue_items were copied.
    db.write([](soci::session& s) { s << "UPDATE queue_items SET status = X'ff' WHERE id = 3"; });
  }
  const std::string url = target("server_error");
  expectRefused(sqlite, url,
                "copying table queue_items failed: ERROR:  invalid byte sequence for encoding \"UTF8\"");
  EXPECT_TRUE(pg_->snapshot().empty());
  // The same target takes the copy once the value is fixed.
  {
    DatabaseOptions options;
    options.path = sqlite;
    Database db(options, log_.logger());
    db.write([](soci::session& s) { s << "UPDATE queue_items SET status = 'queued' WHERE id = 3"; });
  }
  EXPECT_EQ(copySqliteToPostgresql(sqlite, url, log_.logger(), schema()).tables.size(),
            fillSqlite(dir_.file("again.db"), log_.logger()).size());
}

} // namespace sqlite_to_postgresql_test
} // namespace bambuddy::storage
