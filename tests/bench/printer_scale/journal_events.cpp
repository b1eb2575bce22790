#include "journal_events.h"

#include <sqlite3.h>

#include <stdexcept>

namespace bambuddy::bench {

std::unordered_map<std::string, JournalEvent> readJournal(const std::string& db_path) {
  std::unordered_map<std::string, JournalEvent> events;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + db_path);
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT event_id, type, created_at_ms FROM event_journal", -1, &stmt, nullptr) ==
      SQLITE_OK) {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      events[reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))] = {
          reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1)), sqlite3_column_int64(stmt, 2)};
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return events;
}

} // namespace bambuddy::bench
