#include "storage/database.h"

#include "common/logger.h"
#include "storage/wal_checkpointer.h"

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>
// SOCI's header wraps <sqlite3.h> in namespace sqlite_api, so the C API is reached through it.
#include <soci/sqlite3/soci-sqlite3.h>

namespace bambuddy::storage {

namespace {

constexpr const char* kComponent = "storage";

bool isPostgresqlUrl(const std::string& url) {
  return url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
}

// The authority of a libpq URI (between "//" and the path): "user@host:5432".
std::string authorityOf(const std::string& url) {
  const size_t from = url.find("//") + 2;
  const size_t to = url.find_first_of("/?", from);
  return url.substr(from, to == std::string::npos ? std::string::npos : to - from);
}

// SOCI hands its connection string to libpq only after splitting it into key=value pairs on
// spaces and '=', which a URI does not survive: libpq parses the URI here and the pairs go to SOCI.
std::string libpqKeywords(const std::string& url) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options == nullptr) {
    std::string why = error != nullptr ? error : "not a valid libpq URI";
    PQfreemem(error);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) {
      why.pop_back();
    }
    throw StorageError("cannot open database " + url + ": " + why);
  }
  std::string out;
  std::string bad;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || *o->val == '\0') {
      continue;
    }
    const std::string value = o->val;
    if (value.find_first_of(" \t'\"\\=") != std::string::npos) {
      bad = o->keyword;
      break;
    }
    out += (out.empty() ? "" : " ") + std::string(o->keyword) + "=" + value;
  }
  PQconninfoFree(options);
  if (!bad.empty()) {
    throw StorageError("cannot open database " + url + ": its " + bad +
                       " holds a space, a quote, a backslash or '=', which cannot be passed on");
  }
  return out;
}

void validateOptions(const DatabaseOptions& options) {
  if (!options.url.empty()) {
    if (!isPostgresqlUrl(options.url)) {
      throw std::invalid_argument("database url must start with postgresql:// (or postgres://)");
    }
    const std::string authority = authorityOf(options.url);
    const size_t at = authority.rfind('@');
    if (at != std::string::npos && authority.substr(0, at).find(':') != std::string::npos) {
      throw std::invalid_argument("database url holds a password; give it with PGPASSWORD or a password file "
                                  "(PGPASSFILE, ~/.pgpass) instead: a URL ends up in logs and process lists");
    }
    if (options.url.find_first_of(" \t\r\n") != std::string::npos) {
      throw std::invalid_argument("database url contains whitespace");
    }
  } else if (options.path.empty()) {
    throw std::invalid_argument("database path is empty");
  }
  if (options.path.find('\0') != std::string::npos) {
    throw std::invalid_argument("database path contains a NUL byte");
  }
  if (options.pool_size < 1) {
    throw std::invalid_argument("database pool_size must be at least 1, got " +
                                std::to_string(options.pool_size));
  }
  if (options.busy_timeout_ms < 0 || options.busy_timeout_ms > INT_MAX) {
    throw std::invalid_argument("database busy_timeout_ms must be between 0 and " + std::to_string(INT_MAX) +
                                ", got " + std::to_string(options.busy_timeout_ms));
  }
}

void createParentDirectory(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) {
    return;
  }
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) {
    throw StorageError("cannot open database '" + path + "': cannot create directory '" + parent.string() +
                       "': " + ec.message());
  }
}

// Opens the file once with the C API before SOCI does: its error carries the OS reason (errno),
// which SOCI drops, and SOCI 4.0.3 does not close the handle when open fails.
void probeOpen(const std::string& path) {
  using namespace sqlite_api;
  sqlite3* handle = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    std::string reason = handle != nullptr ? sqlite3_errmsg(handle) : sqlite3_errstr(rc);
    int os_errno = handle != nullptr ? sqlite3_system_errno(handle) : 0;
    sqlite3_close(handle);
    if (os_errno != 0) {
      reason += " (" + std::string(std::strerror(os_errno)) + ")";
    }
    throw StorageError("cannot open database '" + path + "': " + reason);
  }
  sqlite3_close(handle);
}

// SOCI splits its connection string on spaces and '='; a double-quoted value may hold both.
std::string connectString(const std::string& path) {
  if (path.find('"') != std::string::npos) {
    throw StorageError("cannot open database '" + path +
                       "': the path contains '\"', which cannot be passed to SOCI");
  }
  return "db=\"" + path + "\"";
}

} // namespace

Database::Database(DatabaseOptions options, Logger& logger) : options_(std::move(options)), logger_(logger) {
  validateOptions(options_);
  if (options_.url.empty()) {
    openSqlite();
  } else {
    openPostgresql();
  }
}

void Database::openPostgresql() {
  std::string connect = libpqKeywords(options_.url);
  // A dead server or network must fail a call within seconds, not hang it (several server
  // instances fence themselves when their heartbeat cannot get through): TCP keepalives for a
  // call waiting on an answer, a bound on unacknowledged data, and on connecting. The URL's own
  // values win.
  for (const char* keyword : {"keepalives=1", "keepalives_idle=10", "keepalives_interval=3",
                              "keepalives_count=3", "tcp_user_timeout=15000", "connect_timeout=10"}) {
    const std::string key = std::string(keyword).substr(0, std::string(keyword).find('=') + 1);
    if (connect.find(key) != 0 && connect.find(" " + key) == std::string::npos) {
      connect += " " + std::string(keyword);
    }
  }
  pool_ = std::make_unique<soci::connection_pool>(static_cast<std::size_t>(options_.pool_size));
  for (int i = 0; i < options_.pool_size; ++i) {
    soci::session& session = pool_->at(static_cast<std::size_t>(i));
    try {
      session.open(*soci::factory_postgresql(), connect);
    } catch (const std::exception& e) {
      throw StorageError("cannot open database " + options_.url + ": " + e.what());
    }
  }
  backend_ = pool_->at(0).get_backend_name();
  logger_.info(kComponent, "opened database " + options_.url + " (" + backend_ + ", " +
                               std::to_string(options_.pool_size) + " sessions)");
}

void Database::openSqlite() {
  createParentDirectory(options_.path);
  probeOpen(options_.path);
  const std::string connect = connectString(options_.path);
  try {
    checkpointer_ = std::make_unique<WalCheckpointer>(options_.path, writer_mutex_, logger_);
  } catch (const std::exception& e) {
    logger_.warn(kComponent, std::string(e.what()) + "; SQLite checkpoints on commit instead");
  }

  pool_ = std::make_unique<soci::connection_pool>(static_cast<std::size_t>(options_.pool_size));
  for (int i = 0; i < options_.pool_size; ++i) {
    soci::session& session = pool_->at(static_cast<std::size_t>(i));
    try {
      session.open(*soci::factory_sqlite3(), connect);
      openSession(session);
    } catch (const StorageError&) {
      throw;
    } catch (const std::exception& e) {
      throw StorageError("cannot open database '" + options_.path + "': " + e.what());
    }
  }
  backend_ = pool_->at(0).get_backend_name();
  logger_.info(kComponent, "opened database " + options_.path + " (" + backend_ + ", WAL, " +
                               std::to_string(options_.pool_size) + " sessions)");
}

Database::~Database() = default;

void Database::openSession(soci::session& session) {
  // The busy timeout goes first so the journal-mode switch can wait for another process's lock.
  session << "PRAGMA busy_timeout = " + std::to_string(options_.busy_timeout_ms);
  std::string mode;
  session << "PRAGMA journal_mode = WAL", soci::into(mode);
  if (mode != "wal") {
    throw StorageError("cannot open database '" + options_.path + "': journal_mode is '" + mode +
                       "' after asking for WAL");
  }
  session << "PRAGMA synchronous = NORMAL";
  session << "PRAGMA foreign_keys = ON";
  // SQLite reuses the WAL file from its start after a full checkpoint but never shrinks it: a burst
  // of writes (an import, a busy start-up) would keep its disk space for good. This trims it back
  // on the first commit after the WAL starts over.
  session << "PRAGMA journal_size_limit = " + std::to_string(kWalSizeLimitBytes);
  if (checkpointer_) {
    // Replaces SQLite's own hook (the one that checkpoints on the committing thread).
    auto* backend = static_cast<soci::sqlite3_session_backend*>(session.get_backend());
    sqlite_api::sqlite3_wal_hook(
        backend->conn_,
        [](void* checkpointer, sqlite_api::sqlite3*, const char*, int wal_pages) {
          static_cast<WalCheckpointer*>(checkpointer)->nudge(wal_pages);
          return 0;
        },
        checkpointer_.get());
  }
}

std::unique_lock<std::timed_mutex> Database::writerTurn() {
  std::unique_lock<std::timed_mutex> turn(writer_mutex_, std::defer_lock);
  if (!turn.try_lock_for(std::chrono::milliseconds(options_.busy_timeout_ms))) {
    logger_.warn(kComponent, "a write waited " + std::to_string(options_.busy_timeout_ms) +
                                 " ms for its turn; going ahead (SQLite decides)");
  }
  return turn;
}

void Database::beginWrite(soci::session& session) {
  // A deferred BEGIN that reads and then writes fails with "database is locked" under WAL
  // instead of waiting; IMMEDIATE takes the write lock up front through the busy handler.
  session << (backend_ == "sqlite3" ? "BEGIN IMMEDIATE" : "BEGIN");
}

void Database::commit(soci::session& session) {
  session << "COMMIT";
}

void Database::recoverSession(soci::session& session) noexcept {
  if (backend_ != "postgresql") {
    return;
  }
  try {
    if (session.is_connected()) {
      return;
    }
    logger_.warn(kComponent, "a database connection was lost; connecting again");
    session.reconnect();
  } catch (const std::exception& e) {
    // Tried again after the next failure on this session.
    logger_.warn(kComponent, std::string("connecting to the database again failed: ") + e.what());
  } catch (...) {
    logger_.warn(kComponent, "connecting to the database again failed");
  }
}

void Database::rollbackQuietly(soci::session& session) noexcept {
  try {
    session << "ROLLBACK";
  } catch (const std::exception& e) {
    // Expected when SQLite already rolled back by itself (after I/O or full-disk errors).
    logger_.warn(kComponent, std::string("rollback after failed write: ") + e.what());
  } catch (...) {
    logger_.warn(kComponent, "rollback after failed write raised a non-standard exception");
  }
}

} // namespace bambuddy::storage
