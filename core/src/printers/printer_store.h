// The `printers` table: which printers exist, which driver and settings each uses, and the
// lifecycle detector's memory (so a restart mid-print continues the print instead of restarting it).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace soci {
class session;
}

namespace bambuddy::storage {
class Database;
}

namespace bambuddy::printers {

struct PrinterRecord {
  int64_t id = 0;
  std::string name;
  std::string driver;      // plugin name, e.g. "printer.bambu"
  std::string instance_id; // the driver instance serving this printer
  std::string source;      // "api" (created over REST, settings here) or "config" (declared in YAML)
  nlohmann::json settings = nlohmann::json::object(); // driver settings ({} for "config" printers)
  nlohmann::json lifecycle = nlohmann::json::object();
  std::optional<bool> require_plate_clear; // the plate-clear gate; unset = the driver's default
  bool awaiting_plate_clear = false;       // a print ended and nobody confirmed the bed is clear
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

class PrinterStore {
public:
  explicit PrinterStore(storage::Database& db) : db_(db) {}

  std::vector<PrinterRecord> list();
  std::optional<PrinterRecord> find(int64_t id);
  // Inserts and returns the new id. `instance_id` may be empty: the store then derives
  // "printer-<id>" in the same transaction.
  PrinterRecord insert(PrinterRecord record);
  // Name, settings, require_plate_clear, updated_at.
  void update(const PrinterRecord& record);
  // On the caller's session, inside its write transaction (the journal append of the same decision).
  static void saveAwaitingPlateClear(soci::session& session, int64_t id, bool awaiting);
  static void saveLifecycle(soci::session& session, int64_t id, const nlohmann::json& lifecycle);
  bool remove(int64_t id);

private:
  storage::Database& db_;
};

} // namespace bambuddy::printers
