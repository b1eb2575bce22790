// SQL for the `queue_items` table.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bambuddy::storage {
class Database;
}

namespace bambuddy::queue {

struct QueueItem {
  int64_t id = 0;
  int64_t archive_id = 0;
  std::optional<int64_t> printer_id; // a specific printer, or any that can print it
  int64_t position = 0;              // ascending = earlier
  std::optional<int64_t> scheduled_at_ms;
  std::string status = "pending";    // pending | printing | completed | failed | cancelled | skipped
  std::optional<std::string> reason; // why a pending item waits, or why it ended badly
  std::optional<int64_t> assigned_printer_id;
  std::optional<int64_t> print_archive_id; // the print record made when it started
  std::optional<int64_t> started_at_ms;
  std::optional<int64_t> ended_at_ms;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  std::optional<int> plate;                                // unset = the file's first plate
  nlohmann::json print_options = nlohmann::json::object(); // use_ams, ams_mapping, ... (print/start's)
};

class QueueStore {
public:
  explicit QueueStore(storage::Database& db) : db_(db) {}

  // Appends at the end (position = highest + 1) unless the item has a position > 0.
  QueueItem insert(QueueItem item);
  std::optional<QueueItem> find(int64_t id);
  // Ordered by position; `status` filters when given.
  std::vector<QueueItem> list(const std::optional<std::string>& status = std::nullopt);
  bool update(const QueueItem& item);
  bool remove(int64_t id);
  // Gives the listed items positions in this order, before every other pending item, in one
  // transaction.
  void reorder(const std::vector<int64_t>& ids);

private:
  storage::Database& db_;
};

} // namespace bambuddy::queue
