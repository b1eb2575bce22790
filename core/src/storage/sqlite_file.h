// An existing SQLite file read through SQLite's C API (never created, never written), for tools
// that read it whole (the copy to PostgreSQL): values come back with their storage class, which
// SOCI's typed rows hide, so a copy can reproduce integers, reals, text, blobs and NULLs exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sqlite_api {
struct sqlite3;
struct sqlite3_stmt;
} // namespace sqlite_api

namespace bambuddy::storage {

enum class StorageClass { Integer, Real, Text, Blob, Null };

class SqliteFile {
public:
  // Throws StorageError naming the path: missing, unreadable, or not an SQLite database.
  explicit SqliteFile(std::string path, int64_t busy_timeout_ms = 5000);
  ~SqliteFile();
  SqliteFile(const SqliteFile&) = delete;
  SqliteFile& operator=(const SqliteFile&) = delete;

  // One prepared statement, stepped row by row. Lives no longer than its file.
  class Query {
  public:
    Query(Query&& other) noexcept;
    ~Query();
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;
    Query& operator=(Query&&) = delete;

    Query& bind(int index, const std::string& value); // 1-based, as in SQL's ?1
    bool next();                                      // false after the last row; throws StorageError
    int columns() const;
    StorageClass type(int column) const;
    int64_t integer(int column) const;
    double real(int column) const;
    std::string_view text(int column) const;
    // The bytes of a blob (or of a text value); data may be null when size is 0.
    const unsigned char* blob(int column, std::size_t& size) const;

  private:
    friend class SqliteFile;
    Query(SqliteFile& file, sqlite_api::sqlite3_stmt* statement);
    SqliteFile* file_;
    sqlite_api::sqlite3_stmt* statement_;
  };

  Query query(const std::string& sql);
  // Runs a statement that returns no rows (BEGIN, COMMIT).
  void execute(const std::string& sql);
  const std::string& path() const { return path_; }

private:
  [[noreturn]] void fail(const std::string& what) const;

  std::string path_;
  sqlite_api::sqlite3* handle_ = nullptr;
};

} // namespace bambuddy::storage
