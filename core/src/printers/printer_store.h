// The `printers` table: which printers exist, which driver and settings each uses, and the
// lifecycle detector's memory (so a restart mid-print continues the print instead of restarting it).
#pragma once

#include "records/instance_record.h"

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

// The printer's columns beyond those of every instance-backed record (id, name, plugin = the
// driver, e.g. "printer.bambu", instance_id, source, settings, created/updated).
struct PrinterRecord : records::InstanceRecord {
  nlohmann::json lifecycle = nlohmann::json::object();
  std::optional<bool> require_plate_clear; // the plate-clear gate; unset = the driver's default
  bool awaiting_plate_clear = false;       // a print ended and nobody confirmed the bed is clear
};

class PrinterStore : public records::RecordTable<PrinterRecord> {
public:
  explicit PrinterStore(storage::Database& db) : db_(db) {}

  std::vector<PrinterRecord> list() override;
  // The ids alone, in id order (what the cluster's heartbeat asks for every round).
  std::vector<int64_t> ids();
  std::optional<PrinterRecord> find(int64_t id);
  // Inserts and returns the new id. `instance_id` may be empty: the store then derives
  // "printer-<id>" in the same transaction.
  PrinterRecord insert(PrinterRecord record) override;
  // Name, settings, require_plate_clear, updated_at.
  void update(const PrinterRecord& record) override;
  // On the caller's session, inside its write transaction (the journal append of the same decision).
  static void saveAwaitingPlateClear(soci::session& session, int64_t id, bool awaiting);
  static void saveLifecycle(soci::session& session, int64_t id, const nlohmann::json& lifecycle);
  bool remove(int64_t id) override;

private:
  storage::Database& db_;
};

} // namespace bambuddy::printers
