// The records room: what every kind of record backed by a plugin instance (printers, notification
// providers, whatever comes next) does the same way, written once (docs/adr/0007-records-room.md).
//
//  - YAML mirroring: instances declared in the config get a row, so they have a stable id; rows of
//    instances no longer declared go, unless their plugin did not load this time.
//  - CRUD: create (row, then instance; neither stays when the instance is refused), settings
//    changes (JSON merge patch, masked secrets kept, a changed destination must resend its
//    credentials, the instance re-created and put back as it was when the plugin refuses), remove.
//  - Secret redaction on every read, and the refusals with their stable codes.
//  - The instance lifecycle at start-up: REST records' instances created here, YAML ones checked.
//
// What stays with each kind: its own columns and rules (a printer's live status and plate gate, a
// provider's routing, health and outbox), its locks, and the order it adopts records in.
//
// Threading: no state of its own beyond the kind's description, so any thread may call it. The
// instance functions change plugin instances: the caller keeps other calls to that instance out
// (holds its own instance lock) while they run. Nothing here calls back into a service except the
// `adopt` and `refresh` functions passed in, on the calling thread, with no lock of this room held.
#pragma once

#include "common/service_error.h"
#include "records/instance_record.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace bambuddy {
class Logger;
namespace config {
struct CoreConfig;
struct PluginInstanceConfig;
} // namespace config
namespace plugins {
class PluginHost;
class PluginInstance;
} // namespace plugins
} // namespace bambuddy

namespace bambuddy::records {

// What tells one kind of record from another.
struct RecordKind {
  std::string noun;          // "printer", "provider": messages
  std::string log_component; // "printers", "notifications"
  uint32_t plugin_kind = 0;  // BB_KIND_PRINTER_DRIVER, BB_KIND_NOTIFIER, ...
  std::string plugin_label;  // "printer driver", "notifier type": "'x' is not a loaded <label>"
  std::string plugin_field;  // the REST field that names the plugin: "driver", "type"
  // "" when that field holds the whole plugin name; else the prefix every plugin of the kind has
  // and the field leaves out ("notifier." + "webhook").
  std::string name_prefix;
  // Settings masked on read, and kept when their mask comes back, whatever the plugin's schema
  // says (a provider's generated signing secret). Empty = only what the schema marks secret.
  std::function<std::vector<std::string>(const std::string& plugin, const std::string& schema)> always_secret;
};

// One instance of a plugin of the kind, as the config file declares it.
struct ConfiguredInstance {
  std::string plugin;
  const config::PluginInstanceConfig* instance = nullptr; // into the CoreConfig passed in
};

class InstanceRecords {
public:
  InstanceRecords(RecordKind kind, plugins::PluginHost& plugins, Logger& logger,
                  std::function<int64_t()> clock_ms);

  const RecordKind& kind() const { return kind_; }

  // ----- plugins of the kind
  // Loaded, of the kind, and named as the kind requires.
  bool isKindPlugin(const std::string& plugin) const;
  // The plugin named by the REST field's value, and back.
  std::string pluginFor(const std::string& field_value) const;
  std::string fieldValueOf(const std::string& plugin) const;
  // 400 invalid_<field> naming the loaded ones, unless isKindPlugin(plugin).
  void requirePlugin(const std::string& plugin) const;
  // The plugin's instance schema text ("" when it has none or is not loaded).
  std::string schemaOf(const std::string& plugin) const;
  // The instances the config declares for loaded plugins of the kind, in file order. Plugins of
  // the kind not named as it requires are logged and left out.
  std::vector<ConfiguredInstance> configured(const config::CoreConfig& config) const;

  // ----- settings
  // 400 invalid_settings, with errors [{path, message}], unless `settings` meets the plugin's
  // instance schema.
  void checkSettings(const std::string& plugin, const nlohmann::json& settings) const;
  // A settings patch applied to the stored settings: merge patch, masked secrets kept, and a
  // changed destination must resend every stored credential (else 400 secret_required). Not
  // checked against the schema (the caller may check something else first).
  nlohmann::json mergedSettings(const InstanceRecord& record, nlohmann::json patch) const;
  // mergedSettings, then checkSettings; nullopt when nothing changes.
  std::optional<nlohmann::json> patchSettings(const InstanceRecord& record,
                                              const nlohmann::json& patch) const;
  // The stored settings with every secret masked.
  nlohmann::json redactedSettings(const InstanceRecord& record) const;
  // id, name, <plugin_field>, instance_id, source, settings (redacted), created_at, updated_at.
  nlohmann::json describe(const InstanceRecord& record) const;

  // ----- refusals
  ServiceError notFound(int64_t id) const;
  // 409 declared_in_config: "... declared in the config file (...); <what_to_do>".
  ServiceError declaredInConfig(const InstanceRecord& record, const std::string& what_to_do) const;

  // ----- instance lifecycle (the caller keeps other calls to the instance out while these run)
  // At start-up: creates the instance of a REST record; a config record's was created by the
  // plugin host (or deferred by it, with several server instances: created here). Returns why it is not
  // running ("" when it is), already logged.
  std::string startInstance(const InstanceRecord& record);
  // Destroys the record's instance (if any) and keeps the row: another server instance runs it now.
  void stopInstance(const InstanceRecord& record);
  // Replaces the record's instance with one on `settings`. When the plugin refuses them, the
  // instance on record.settings is created again, `problem` says whether that worked ("" when it
  // did) and 400 invalid_settings is thrown: a refused change changes nothing.
  plugins::PluginInstance& replaceInstance(const InstanceRecord& record, const nlohmann::json& settings,
                                           std::string& problem);

  // ----- the table (Record derives from InstanceRecord)

  // Mirrors the configured instances into the table and returns every row, by id. `configured`
  // holds the kind's records built from the file (plugin, instance_id, name and the kind's own
  // fields); a new one is inserted, a known one gets the file's name and `refresh(stored, from_file)`
  // (which returns whether it changed anything else). Config rows no longer in the file are
  // deleted, unless their plugin did not load this time (kept, with their history).
  template <class Record>
  std::vector<Record> mirror(RecordTable<Record>& table, const std::vector<Record>& configured,
                             const std::function<bool(Record& stored, const Record& from_file)>& refresh);

  // Stores `record` (a REST record; id and instance_id are given here) and creates its instance,
  // then calls adopt(stored, instance). When the instance is refused or adopt throws, neither row
  // nor instance stays: forget(stored) undoes what adopt may have done (it may be empty), and 400
  // invalid_settings is thrown (a ServiceError from adopt as it is).
  template <class Record>
  Record create(RecordTable<Record>& table, Record record,
                const std::function<void(const Record& stored, plugins::PluginInstance& instance)>& adopt,
                const std::function<void(const Record& stored)>& forget = nullptr);

  // Destroys the record's instance, then deletes its row. The caller has stopped using it.
  template <class Record> void remove(RecordTable<Record>& table, const Record& record);

private:
  int64_t now() const { return clock_ms_(); }
  bool pluginLoaded(const std::string& plugin) const;
  plugins::PluginInstance& createInstance(const InstanceRecord& record);
  void destroyInstance(const InstanceRecord& record);
  [[noreturn]] void refuseSettings(const std::exception& e) const;
  void logMirrored(const InstanceRecord& record) const;
  void logRemoved(const InstanceRecord& record, bool from_file) const;
  void logCreated(const InstanceRecord& record) const;

  const RecordKind kind_;
  plugins::PluginHost& plugins_;
  Logger& logger_;
  std::function<int64_t()> clock_ms_;
};

// ----- templates ---------------------------------------------------------------------------------

template <class Record>
std::vector<Record>
InstanceRecords::mirror(RecordTable<Record>& table, const std::vector<Record>& configured,
                        const std::function<bool(Record& stored, const Record& from_file)>& refresh) {
  const int64_t now_ms = now();
  std::vector<Record> rows = table.list();
  std::vector<int64_t> kept;
  for (const Record& c : configured) {
    auto it = std::find_if(rows.begin(), rows.end(), [&](const Record& r) {
      return r.fromConfig() && r.plugin == c.plugin && r.instance_id == c.instance_id;
    });
    if (it == rows.end()) {
      Record fresh = c;
      fresh.source = kSourceConfig;
      fresh.settings = nlohmann::json::object(); // the file keeps them
      fresh.created_at_ms = fresh.updated_at_ms = now_ms;
      Record stored = table.insert(std::move(fresh));
      kept.push_back(stored.id);
      logMirrored(stored);
      continue;
    }
    bool changed = it->name != c.name;
    it->name = c.name;
    if (refresh) {
      changed = refresh(*it, c) || changed;
    }
    if (changed) {
      it->updated_at_ms = now_ms;
      table.update(*it);
    }
    kept.push_back(it->id);
  }
  for (const Record& r : rows) {
    if (!r.fromConfig() || std::find(kept.begin(), kept.end(), r.id) != kept.end()) {
      continue;
    }
    if (!pluginLoaded(r.plugin)) {
      continue; // its plugin did not load this time: keep the row and say why at start-up
    }
    table.remove(r.id);
    logRemoved(r, true);
  }
  return table.list();
}

template <class Record>
Record InstanceRecords::create(RecordTable<Record>& table, Record record,
                               const std::function<void(const Record&, plugins::PluginInstance&)>& adopt,
                               const std::function<void(const Record&)>& forget) {
  record.id = 0;
  record.instance_id.clear();
  record.source = kSourceApi;
  record.created_at_ms = record.updated_at_ms = now();
  Record stored = table.insert(std::move(record));
  try {
    plugins::PluginInstance& instance = createInstance(stored);
    adopt(stored, instance);
  } catch (const std::exception& e) {
    destroyInstance(stored);
    if (forget) {
      forget(stored);
    }
    table.remove(stored.id);
    refuseSettings(e);
  }
  logCreated(stored);
  return stored;
}

template <class Record> void InstanceRecords::remove(RecordTable<Record>& table, const Record& record) {
  destroyInstance(record);
  table.remove(record.id);
  logRemoved(record, false);
}

} // namespace bambuddy::records
