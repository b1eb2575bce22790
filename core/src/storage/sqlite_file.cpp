#include "storage/sqlite_file.h"

#include "storage/storage_error.h"

#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <utility>

// SOCI's header wraps <sqlite3.h> in namespace sqlite_api (as database.cpp uses it).
#include <soci/sqlite3/soci-sqlite3.h>

namespace bambuddy::storage {

using namespace sqlite_api;

SqliteFile::SqliteFile(std::string path, int64_t busy_timeout_ms) : path_(std::move(path)) {
  // SQLite's own message for a missing file is "unable to open database file": the OS says more.
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    throw StorageError("cannot open SQLite database '" + path_ + "': " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    throw StorageError("cannot open SQLite database '" + path_ + "': not a regular file");
  }
  // Read-write (never create), though only read: a read-only connection to a WAL database leaves
  // -wal and -shm files behind, owned by whoever ran the tool (root, often), which a server running
  // as its own user could then not open. The last read-write connection folds the WAL into the file
  // and removes both, as a server stop does. A write-protected file is opened read-only.
  const int rc = sqlite3_open_v2(path_.c_str(), &handle_, SQLITE_OPEN_READWRITE, nullptr);
  if (rc != SQLITE_OK) {
    const std::string reason = handle_ != nullptr ? sqlite3_errmsg(handle_) : sqlite3_errstr(rc);
    sqlite3_close(handle_);
    handle_ = nullptr;
    throw StorageError("cannot open SQLite database '" + path_ + "': " + reason);
  }
  sqlite3_busy_timeout(handle_, static_cast<int>(busy_timeout_ms));
  // SQLite reads the header lazily: a file that is not a database fails here, not at the first copy.
  try {
    query("SELECT COUNT(*) FROM sqlite_schema").next();
  } catch (...) {
    sqlite3_close_v2(handle_); // a throwing constructor runs no destructor: the handle goes here
    handle_ = nullptr;
    throw;
  }
}

SqliteFile::~SqliteFile() {
  sqlite3_close_v2(handle_);
}

void SqliteFile::fail(const std::string& what) const {
  throw StorageError("cannot read SQLite database '" + path_ + "' (" + what +
                     "): " + sqlite3_errmsg(handle_));
}

SqliteFile::Query SqliteFile::query(const std::string& sql) {
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(handle_, sql.c_str(), static_cast<int>(sql.size()), &statement, nullptr) !=
      SQLITE_OK) {
    sqlite3_finalize(statement);
    fail(sql);
  }
  return Query(*this, statement);
}

void SqliteFile::execute(const std::string& sql) {
  Query q = query(sql);
  while (q.next()) {
  }
}

SqliteFile::Query::Query(SqliteFile& file, sqlite3_stmt* statement) : file_(&file), statement_(statement) {}

SqliteFile::Query::Query(Query&& other) noexcept
    : file_(other.file_), statement_(std::exchange(other.statement_, nullptr)) {}

SqliteFile::Query::~Query() {
  sqlite3_finalize(statement_);
}

SqliteFile::Query& SqliteFile::Query::bind(int index, const std::string& value) {
  if (sqlite3_bind_text(statement_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT) !=
      SQLITE_OK) {
    file_->fail(sqlite3_sql(statement_));
  }
  return *this;
}

bool SqliteFile::Query::next() {
  const int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  file_->fail(sqlite3_sql(statement_));
}

int SqliteFile::Query::columns() const {
  return sqlite3_column_count(statement_);
}

StorageClass SqliteFile::Query::type(int column) const {
  switch (sqlite3_column_type(statement_, column)) {
  case SQLITE_INTEGER:
    return StorageClass::Integer;
  case SQLITE_FLOAT:
    return StorageClass::Real;
  case SQLITE_TEXT:
    return StorageClass::Text;
  case SQLITE_BLOB:
    return StorageClass::Blob;
  default:
    return StorageClass::Null;
  }
}

int64_t SqliteFile::Query::integer(int column) const {
  return sqlite3_column_int64(statement_, column);
}

double SqliteFile::Query::real(int column) const {
  return sqlite3_column_double(statement_, column);
}

std::string_view SqliteFile::Query::text(int column) const {
  const unsigned char* data = sqlite3_column_text(statement_, column);
  const int size = sqlite3_column_bytes(statement_, column);
  return data == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(data), size);
}

const unsigned char* SqliteFile::Query::blob(int column, std::size_t& size) const {
  const auto* data = static_cast<const unsigned char*>(sqlite3_column_blob(statement_, column));
  size = static_cast<std::size_t>(sqlite3_column_bytes(statement_, column));
  return data;
}

} // namespace bambuddy::storage
