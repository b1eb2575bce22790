// The printer records over REST, kept through the records room (records/instance_records.h):
// details, create, update (settings re-create the driver instance; a refused change changes
// nothing), the connection check's target and remove. What is the printers' own: capabilities and
// the plate-clear choice.
#include "printers/printer_registry.h"

#include "common/logger.h"
#include "plugins/plugin_host.h"
#include "printers/printer_live.h"

namespace bambuddy::printers {

namespace {

using detail::orNull;

constexpr const char* kComponent = "printers";

// require_plate_clear of a create or update body (its type checked by the route's body schema):
// true, false, or null/absent for the default.
std::optional<bool> plateClearChoice(const nlohmann::json& body) {
  auto it = body.find("require_plate_clear");
  if (it == body.end() || !it->is_boolean()) {
    return std::nullopt;
  }
  return it->get<bool>();
}

} // namespace

nlohmann::json PrinterRegistry::details(int64_t id) const {
  PrinterRecord record;
  nlohmann::json extra;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = printers_.find(id);
    if (it == printers_.end()) {
      throw records_.notFound(id);
    }
    const Live& live = *it->second;
    record = live.record;
    extra = {{"capabilities", live.capabilities},
             {"require_plate_clear", requiresPlateClear(live)},
             {"model", orNull(live.status, "model")},
             {"firmware", orNull(live.status, "firmware")},
             {"status", statusLocked(live)}};
  }
  nlohmann::json out = records_.describe(record); // settings redacted
  out.update(extra);
  return out;
}

// The body's shape (keys, types, lengths) was checked by the route's body schema.
nlohmann::json PrinterRegistry::create(const nlohmann::json& body) {
  const std::string driver = body.at("driver").get<std::string>();
  records_.requirePlugin(driver);
  PrinterRecord record;
  record.name = body.at("name").get<std::string>();
  record.plugin = driver;
  record.settings = body.value("settings", nlohmann::json::object());
  record.require_plate_clear = plateClearChoice(body);
  records_.checkSettings(driver, record.settings);

  std::unique_lock<std::shared_mutex> instances(instances_mutex_);
  PrinterRecord stored = records_.create<PrinterRecord>(
      store_, std::move(record),
      [&](const PrinterRecord& r, plugins::PluginInstance& instance) {
        nlohmann::json capabilities = capabilitiesOf(r, &instance);
        std::lock_guard<std::mutex> lock(mutex_);
        adopt(r).capabilities = std::move(capabilities);
      },
      [&](const PrinterRecord& r) {
        // Refused: nothing about it stays, not even a report its instance sent meanwhile.
        std::lock_guard<std::mutex> lock(mutex_);
        by_instance_.erase({r.plugin, r.instance_id});
        early_reports_.erase({r.plugin, r.instance_id});
        printers_.erase(r.id);
      });
  replayEarly({stored.plugin, stored.instance_id});
  instances.unlock();
  if (!connect_all_ && claim_ && !claim_(stored.id)) {
    drop({stored.id}); // another server instance took its lease first: it connects the printer
  }
  announceChange();
  return details(stored.id);
}

nlohmann::json PrinterRegistry::update(int64_t id, const nlohmann::json& body) {
  std::unique_lock<std::shared_mutex> instances(instances_mutex_);
  PrinterRecord record = recordOf(id);
  if (body.contains("require_plate_clear")) {
    record.require_plate_clear = plateClearChoice(body);
  }
  // The gate is the server's, not the driver's: it can be set for printers declared in YAML too.
  if (record.fromConfig() && (body.contains("name") || body.contains("settings"))) {
    throw records_.declaredInConfig(record, "change it there and restart");
  }
  if (body.contains("name")) {
    record.name = body["name"].get<std::string>();
  }
  bool owned = true;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    owned = printers_.at(id)->owned;
  }
  if (body.contains("settings") && !owned) {
    // Another server instance connects it: the row changes here, that instance's driver follows
    // the change (reloadRecords), so the printer is never connected from here.
    if (std::optional<nlohmann::json> merged = records_.patchSettings(record, body["settings"])) {
      records_.checkSettings(record.plugin, *merged);
      record.settings = std::move(*merged);
    }
  } else if (body.contains("settings")) {
    if (std::optional<nlohmann::json> merged = records_.patchSettings(record, body["settings"])) {
      std::string problem;
      plugins::PluginInstance* instance = nullptr;
      try {
        instance = &records_.replaceInstance(record, *merged, problem);
      } catch (const ServiceError&) {
        std::lock_guard<std::mutex> lock(mutex_);
        Live& live = *printers_.at(id);
        live.problem = problem; // "" when the previous driver runs again
        changed(live);
        throw;
      }
      record.settings = std::move(*merged);
      nlohmann::json capabilities = capabilitiesOf(record, instance);
      std::lock_guard<std::mutex> lock(mutex_);
      Live& live = *printers_.at(id);
      live.problem.clear();
      live.capabilities = std::move(capabilities);
    }
  }
  record.updated_at_ms = clock_ms_();
  store_.update(record);
  {
    std::unique_lock<std::mutex> lock(mutex_);
    Live& live = *printers_.at(id);
    record.awaiting_plate_clear = live.record.awaiting_plate_clear; // owned by the lifecycle
    record.lifecycle = live.record.lifecycle;
    live.record = record;
    changed(live);
    if (live.record.awaiting_plate_clear && !requiresPlateClear(live)) {
      live.record.awaiting_plate_clear = false; // switching the gate off opens it
      saveAwaitingPlateClear(lock, id, false);
    }
  }
  instances.unlock();
  announceChange();
  return details(id);
}

CheckTarget PrinterRegistry::resolveCheck(const nlohmann::json& body) const {
  nlohmann::json patch = body.value("settings", nlohmann::json::object());
  CheckTarget target;
  if (body.contains("printer_id")) {
    PrinterRecord record = recordOf(body["printer_id"].get<int64_t>());
    if (record.fromConfig()) {
      throw records_.declaredInConfig(record, "its settings are checked when the server starts");
    }
    if (body.contains("driver") && body["driver"] != record.plugin) {
      throw PrinterError(PrinterError::Kind::Invalid, "invalid_driver",
                         "driver: printer " + std::to_string(record.id) + " uses " + record.plugin);
    }
    // The stored access code goes only where it was entered for, as with PATCH.
    target = {record.plugin, records_.mergedSettings(record, patch), record.id};
  } else {
    // Which of driver and printer_id is needed depends on the other: a rule beyond the schema.
    if (!body.contains("driver")) {
      throw PrinterError(PrinterError::Kind::Invalid, "invalid_driver",
                         "driver: required (the name of a printer driver plugin such as printer.bambu), "
                         "unless printer_id names a stored printer");
    }
    target.driver = body["driver"].get<std::string>();
    records_.requirePlugin(target.driver);
    target.settings = patch;
  }
  records_.checkSettings(target.driver, target.settings);
  return target;
}

PrinterRecord PrinterRegistry::recordOf(int64_t id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = printers_.find(id);
  if (it == printers_.end()) {
    throw records_.notFound(id);
  }
  return it->second->record;
}

void PrinterRegistry::stopDriverFirst(const PrinterRecord& record) {
  std::shared_lock<std::shared_mutex> instances(instances_mutex_);
  if (plugins::PluginInstance* instance = plugins_.findInstance(record.plugin, record.instance_id)) {
    try {
      instance->driverStop();
    } catch (const std::exception& e) {
      logger_.warn(kComponent,
                   "stopping the driver of printer " + std::to_string(record.id) + " failed: " + e.what());
    }
  }
}

void PrinterRegistry::remove(int64_t id) {
  if (PrinterRecord record = recordOf(id); record.fromConfig()) {
    throw records_.declaredInConfig(record, "remove it there and restart");
  }
  stopDriverFirst(recordOf(id));
  std::unique_lock<std::shared_mutex> instances(instances_mutex_);
  PrinterRecord record = recordOf(id);
  records_.remove<PrinterRecord>(store_, record);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    by_instance_.erase({record.plugin, record.instance_id});
    early_reports_.erase({record.plugin, record.instance_id});
    printers_.erase(id);
  }
  instances.unlock();
  announceChange();
}

} // namespace bambuddy::printers
