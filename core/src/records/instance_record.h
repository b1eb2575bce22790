// A record backed by a plugin instance: a printer (one printer driver instance), a notification
// provider (one notifier instance) and whatever kind comes next. These are the fields every kind
// shares and the table interface each kind's store implements, so the records room
// (instance_records.h) can mirror YAML, create, change and remove them once for all kinds.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace bambuddy::records {

inline constexpr const char* kSourceApi = "api";       // created over REST; settings stored in the row
inline constexpr const char* kSourceConfig = "config"; // declared in YAML; the plugin host made the instance

struct InstanceRecord {
  int64_t id = 0;
  std::string name;
  std::string plugin;      // the plugin's name: "printer.bambu", "notifier.webhook"
  std::string instance_id; // "<noun>-<id>" for API records, the YAML instance id for config ones
  std::string source = kSourceApi;
  nlohmann::json settings = nlohmann::json::object(); // the instance's settings ({} for config records)
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;

  bool fromConfig() const { return source == kSourceConfig; }
};

// The table of one kind of record. `Record` derives from InstanceRecord and adds the kind's own
// columns. Called from the thread of whoever changes records; implementations are thread-safe
// (each call is one database transaction).
template <class Record> class RecordTable {
public:
  virtual ~RecordTable() = default;
  // Every row, by id.
  virtual std::vector<Record> list() = 0;
  // Takes a never-reused id; an empty instance_id becomes "<noun>-<id>" in the same transaction.
  virtual Record insert(Record record) = 0;
  // Writes the mutable columns (name, settings, updated_at and the kind's own).
  virtual void update(const Record& record) = 0;
  virtual bool remove(int64_t id) = 0;
};

} // namespace bambuddy::records
