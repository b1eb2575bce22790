// SQL for the `archives` table: insert, read, filter and page, update.
#pragma once

#include "archives/archive_record.h"

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bambuddy::storage {
class Database;
}

namespace bambuddy::archives {

// A place in the list's order (newest first): the sort time and id of the last row seen.
struct ArchiveCursor {
  int64_t sort_at_ms = 0;
  int64_t id = 0;
};

struct ArchiveFilter {
  std::optional<int64_t> printer_id;
  std::optional<std::string> status;
  std::optional<int64_t> since_ms; // started (or uploaded) at or after
  std::optional<int64_t> until_ms; // started (or uploaded) before
  std::optional<std::string> q;    // case-insensitive substring of name or filename
  int64_t limit = 100;
  int64_t offset = 0;                 // O(offset): rows skipped are still read
  std::optional<ArchiveCursor> after; // rows after this place only (keyset paging, O(limit))
  std::vector<int64_t> printers_in;   // non-empty: only these printer ids (0 = uploads, no printer)
};

struct ArchivePage {
  std::vector<ArchiveRecord> items;
  int64_t total = 0;                 // every row matching the filter, whatever the page
  std::optional<ArchiveCursor> next; // where the next page starts; none after the last row
};

class ArchiveStore {
public:
  explicit ArchiveStore(storage::Database& db) : db_(db) {}

  // Assigns id, created/updated times are taken from the record. Returns the stored record.
  ArchiveRecord insert(ArchiveRecord record);
  std::optional<ArchiveRecord> find(int64_t id);
  // Newest first (by start, or upload time for uploads).
  ArchivePage list(const ArchiveFilter& filter);
  // Writes every mutable column of the record (by id). False when the row is gone.
  bool update(const ArchiveRecord& record);
  bool remove(int64_t id);
  // The archive of the print running on a printer, if any (newest with status printing).
  // The print record a journal print_started opened, if any.
  std::optional<ArchiveRecord> findByStartEvent(const std::string& event_id);
  std::optional<ArchiveRecord> openPrint(int64_t printer_id);

  // Counts committed writes (insert, update, remove): an answer computed while this stayed the same
  // is still right. Thread-safe.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

private:
  storage::Database& db_;
  std::atomic<uint64_t> generation_{0};
};

} // namespace bambuddy::archives
