#include "printers/printer_registry.h"

#include "common/json_parse.h"
#include "common/logger.h"
#include "common/time.h"
#include "config/core_config.h"
#include "journal/event_journal.h"
#include "plugins/plugin_host.h"
#include "storage/database.h"

#include <algorithm>
#include <chrono>

namespace bambuddy::printers {

namespace {

constexpr const char* kComponent = "printers";

nlohmann::json orNull(const nlohmann::json& object, const char* key) {
  if (object.is_object()) {
    auto it = object.find(key);
    if (it != object.end()) {
      return *it;
    }
  }
  return nullptr;
}

std::string stringOf(const nlohmann::json& object, const char* key) {
  nlohmann::json v = orNull(object, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

// Which states allow which action, for a 409 that names the state before bothering the driver.
bool actionFits(const std::string& action, const std::string& state) {
  if (action == "pause") {
    return state == "printing" || state == "preparing";
  }
  if (action == "resume") {
    return state == "paused";
  }
  if (action == "stop") {
    return state == "printing" || state == "preparing" || state == "paused";
  }
  if (action == "start_print") {
    return state == "idle" || state == "finished" || state == "failed";
  }
  return true;
}

PrinterError fromPluginError(const plugins::PluginCallError& e, const std::string& state) {
  switch (e.code()) {
  case BB_ERR_CONFLICT:
    return PrinterError(PrinterError::Kind::Conflict, "state_conflict", e.what(), {{"state", state}});
  case BB_ERR_UNAVAILABLE:
    return PrinterError(PrinterError::Kind::Unavailable, "printer_unavailable", e.what(), {{"state", state}});
  case BB_ERR_UNSUPPORTED:
    return PrinterError(PrinterError::Kind::Unsupported, "unsupported", e.what());
  case BB_ERR_INVALID_ARGUMENT:
    return PrinterError(PrinterError::Kind::Invalid, "invalid_command", e.what());
  default:
    return PrinterError(PrinterError::Kind::Unavailable, "driver_error",
                        std::string("the printer driver failed: ") + e.what());
  }
}

// require_plate_clear of a create or update body (its type checked by the route's body schema):
// true, false, or null/absent for the default.
std::optional<bool> plateClearChoice(const nlohmann::json& body) {
  auto it = body.find("require_plate_clear");
  if (it == body.end() || !it->is_boolean()) {
    return std::nullopt;
  }
  return it->get<bool>();
}

records::RecordKind printerKind() {
  records::RecordKind kind;
  kind.noun = "printer";
  kind.log_component = kComponent;
  kind.plugin_kind = BB_KIND_PRINTER_DRIVER;
  kind.plugin_label = "printer driver";
  kind.plugin_field = "driver";
  return kind;
}

bool isPrintEnd(const std::string& type) {
  return type == "print_complete" || type == "print_failed" || type == "print_cancelled";
}

} // namespace

bool isCheckInstanceId(const std::string& instance_id) {
  static const std::string kPrefix = "check-";
  return instance_id.size() == kPrefix.size() + 16 && instance_id.compare(0, kPrefix.size(), kPrefix) == 0 &&
         instance_id.find_first_not_of("0123456789abcdef", kPrefix.size()) == std::string::npos;
}

struct PrinterRegistry::Live {
  PrinterRecord record;
  nlohmann::json status;     // the driver's latest report (null until the first)
  int64_t updated_at_ms = 0; // when it arrived
  std::unique_ptr<LifecycleDetector> detector;
  nlohmann::json persisted; // detector memory as last written to the database
  std::string problem;      // why there is no running driver instance, if so
  nlohmann::json capabilities = nlohmann::json::object();
  bool reached_printing = false; // the current print got past preparing (the bed is in use)
};

PrinterRegistry::PrinterRegistry(PrinterStore& store, plugins::PluginHost& plugins,
                                 journal::EventJournal& journal, Logger& logger,
                                 std::function<int64_t()> clock_ms, LifecycleSettings settings)
    : store_(store), plugins_(plugins), records_(printerKind(), plugins, logger, clock_ms), journal_(journal),
      logger_(logger), clock_ms_(std::move(clock_ms)), settings_(std::move(settings)) {}

PrinterRegistry::~PrinterRegistry() {
  stop();
}

void PrinterRegistry::start(const config::CoreConfig& config) {
  // YAML printers get a row each (so they have a stable id); rows of removed ones go.
  std::vector<PrinterRecord> configured;
  for (const records::ConfiguredInstance& c : records_.configured(config)) {
    PrinterRecord record;
    record.plugin = c.plugin;
    record.instance_id = c.instance->id;
    record.name = c.instance->name.empty() ? c.instance->id : c.instance->name;
    configured.push_back(std::move(record));
  }
  const std::vector<PrinterRecord> kept = records_.mirror<PrinterRecord>(store_, configured, nullptr);

  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const PrinterRecord& r : kept) {
      adopt(r);
    }
  }
  for (const PrinterRecord& r : kept) {
    replayEarly({r.plugin, r.instance_id});
  }
  std::unique_lock<std::shared_mutex> instances(instances_mutex_);
  for (const PrinterRecord& r : kept) {
    // Outside mutex_: a driver's first report may come while its instance is being created.
    const std::string problem = records_.startInstance(r);
    nlohmann::json capabilities = nlohmann::json::object();
    if (problem.empty()) {
      capabilities = capabilitiesOf(r, plugins_.findInstance(r.plugin, r.instance_id));
    }
    std::lock_guard<std::mutex> lock(mutex_);
    Live& live = *printers_.at(r.id);
    live.problem = problem;
    live.capabilities = std::move(capabilities);
  }
  instances.unlock();

  std::lock_guard<std::mutex> lock(mutex_);
  if (!clock_.joinable()) {
    stopping_ = false;
    clock_ = std::thread([this] { clockLoop(); });
  }
}

void PrinterRegistry::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  clock_cv_.notify_all();
  if (clock_.joinable()) {
    clock_.join();
  }
}

void PrinterRegistry::setSettings(const LifecycleSettings& settings) {
  std::lock_guard<std::mutex> lock(mutex_);
  settings_ = settings;
  for (auto& [id, live] : printers_) {
    live->detector->setSettings(settings);
  }
  clock_cv_.notify_all();
}

LifecycleSettings PrinterRegistry::settings() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return settings_;
}

PrinterRegistry::Live& PrinterRegistry::adopt(const PrinterRecord& record) {
  auto live = std::make_unique<Live>();
  live->record = record;
  live->persisted = record.lifecycle;
  live->detector = std::make_unique<LifecycleDetector>(settings_, LifecycleMemory::fromJson(record.lifecycle),
                                                       clock_ms_());
  InstanceKey key{record.plugin, record.instance_id};
  by_instance_[key] = record.id;
  Live& ref = *live;
  printers_[record.id] = std::move(live);
  return ref;
}

nlohmann::json PrinterRegistry::capabilitiesOf(const PrinterRecord& record,
                                               plugins::PluginInstance* instance) const {
  if (instance == nullptr) {
    return nlohmann::json::object();
  }
  try {
    nlohmann::json capabilities = parseJsonLimited(instance->driverCapabilities());
    if (capabilities.is_object()) {
      return capabilities;
    }
    logger_.warn(kComponent, "capabilities of printer " + std::to_string(record.id) + ": not a JSON object");
  } catch (const std::exception& e) {
    logger_.warn(kComponent, "capabilities of printer " + std::to_string(record.id) + ": " + e.what());
  }
  return nlohmann::json::object();
}

bool PrinterRegistry::onReport(const std::string& driver, const std::string& instance_id,
                               nlohmann::json& status) {
  return handleReport({driver, instance_id}, &status);
}

void PrinterRegistry::replayEarly(const InstanceKey& key) {
  handleReport(key, nullptr);
}

bool PrinterRegistry::handleReport(const InstanceKey& key, nlohmann::json* status) {
  std::vector<PendingWrite> writes;
  bool offline_due_changed = false;
  std::unique_lock<std::mutex> lock(mutex_);
  auto it = by_instance_.find(key);
  if (it == by_instance_.end()) {
    if (status == nullptr || isCheckInstanceId(key.second)) {
      return false; // a connection check's instance (ConnectionChecks reads it, `status` intact)
    }
    early_reports_[key] = std::move(*status);
    return true;
  }
  Live& live = *printers_.at(it->second);
  // The report from before the printer was mapped goes first: the driver's next one may get here
  // before start() or create() replays it, and the detector must see them in the driver's order.
  std::vector<nlohmann::json> reports;
  if (auto early = early_reports_.find(key); early != early_reports_.end()) {
    reports.push_back(std::move(early->second));
    early_reports_.erase(early);
  }
  if (status != nullptr) {
    reports.push_back(std::move(*status));
  }
  for (nlohmann::json& report : reports) {
    live.status = std::move(report);
    live.updated_at_ms = clock_ms_();
    const std::optional<int64_t> offline_due = live.detector->offlineDueMs();
    PendingWrite write = decide(live, live.detector->onReport(live.status, live.updated_at_ms));
    const std::string state = stringOf(live.status, "state");
    if (state == "printing" || state == "paused") {
      live.reached_printing = true;
    }
    offline_due_changed = offline_due_changed || live.detector->offlineDueMs() != offline_due;
    if (!write.empty()) {
      writes.push_back(std::move(write));
    }
  }
  if (offline_due_changed) {
    // An offline announcement is now due at another time. Only then: the clock walks every
    // printer when woken, and 1000 printers report 1000 times a second.
    clock_cv_.notify_all();
  }
  if (!writes.empty()) {
    // Hand over hand: the journal order is the order the detectors decided in.
    std::unique_lock<std::mutex> order(write_mutex_);
    lock.unlock();
    persist(writes);
  }
  return true;
}

PrinterRegistry::PendingWrite PrinterRegistry::decide(Live& live, std::vector<LifecycleEvent> events) {
  PendingWrite write;
  write.printer_id = live.record.id;
  const bool was_awaiting = live.record.awaiting_plate_clear;
  for (LifecycleEvent& event : events) {
    if (event.type == "print_started") {
      live.reached_printing = false;
    } else if (isPrintEnd(event.type) && (live.reached_printing || event.type == "print_complete") &&
               requiresPlateClear(live)) {
      // Something was printed on the bed: the queue waits until someone says it is clear. A start
      // that failed before printing (an upload refused, say) left the bed as it was.
      live.record.awaiting_plate_clear = true;
    }
    nlohmann::json data = {{"printer", live.record.name}, {"printer_id", live.record.id}};
    data.update(event.data);
    logger_.info(kComponent, event.type + " on printer " + std::to_string(live.record.id) + " ('" +
                                 live.record.name + "')");
    journal::JournalEntry entry;
    entry.type = event.type;
    entry.printer_id = live.record.id;
    entry.timestamp_ms = clock_ms_();
    entry.payload_json = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    write.entries.push_back(std::move(entry));
  }
  if (live.record.awaiting_plate_clear != was_awaiting) {
    write.awaiting_plate_clear = live.record.awaiting_plate_clear;
  }
  nlohmann::json memory = live.detector->memory().toJson();
  if (memory != live.persisted) {
    live.persisted = memory;
    write.memory = std::move(memory);
  }
  return write;
}

void PrinterRegistry::persist(std::vector<PendingWrite>& writes) {
  // What failed earlier goes first, so one printer's events never overtake each other.
  if (!unsaved_.empty()) {
    writes.insert(writes.begin(), std::make_move_iterator(unsaved_.begin()),
                  std::make_move_iterator(unsaved_.end()));
    unsaved_.clear();
  }
  for (size_t i = 0; i < writes.size(); ++i) {
    PendingWrite& w = writes[i];
    try {
      journal_.append(w.entries, [&](soci::session& session) {
        if (w.memory) {
          store_.saveLifecycle(session, w.printer_id, *w.memory);
        }
        if (w.awaiting_plate_clear) {
          store_.saveAwaitingPlateClear(session, w.printer_id, *w.awaiting_plate_clear);
        }
      });
    } catch (const std::exception& e) {
      // Kept in order and tried again by the clock (every second) before anything newer.
      logger_.warn(kComponent, "could not store " + std::to_string(w.entries.size()) +
                                   " event(s) and the print state of printer " +
                                   std::to_string(w.printer_id) + " (retrying): " + e.what());
      unsaved_.assign(std::make_move_iterator(writes.begin() + static_cast<std::ptrdiff_t>(i)),
                      std::make_move_iterator(writes.end()));
      return;
    }
  }
}

void PrinterRegistry::tick() {
  std::vector<PendingWrite> writes;
  std::unique_lock<std::mutex> lock(mutex_);
  const int64_t now = clock_ms_();
  for (auto& [id, live] : printers_) {
    auto events = live->detector->onTick(now);
    if (events.empty()) {
      continue;
    }
    PendingWrite write = decide(*live, std::move(events));
    if (!write.empty()) {
      writes.push_back(std::move(write));
    }
  }
  std::unique_lock<std::mutex> order(write_mutex_);
  lock.unlock();
  if (!writes.empty() || !unsaved_.empty()) {
    persist(writes);
  }
}

void PrinterRegistry::clockLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    int64_t wait_ms = 1000;
    const int64_t now = clock_ms_();
    for (auto& [id, live] : printers_) {
      if (auto due = live->detector->offlineDueMs()) {
        wait_ms = std::min(wait_ms, std::max<int64_t>(0, *due - now));
      }
    }
    if (wait_ms > 0) {
      clock_cv_.wait_for(lock, std::chrono::milliseconds(wait_ms));
    }
    if (stopping_) {
      break;
    }
    lock.unlock();
    tick();
    lock.lock();
  }
}

std::vector<int64_t> PrinterRegistry::ids() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<int64_t> out;
  for (const auto& [id, live] : printers_) {
    out.push_back(id);
  }
  return out;
}

bool PrinterRegistry::exists(int64_t id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return printers_.count(id) > 0;
}

std::string PrinterRegistry::name(int64_t id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = printers_.find(id);
  return it == printers_.end() ? std::string() : it->second->record.name;
}

nlohmann::json PrinterRegistry::statusLocked(const Live& live) const {
  const nlohmann::json& s = live.status;
  std::string state = stringOf(s, "state");
  bool connected = orNull(s, "connected") == true && state != "offline" && !state.empty();
  if (!connected) {
    state = "offline";
  }
  nlohmann::json temperatures = orNull(s, "temperatures");
  if (!temperatures.is_object()) {
    temperatures = nlohmann::json::object();
  }
  nlohmann::json current = nullptr;
  nlohmann::json print = orNull(s, "current_print");
  if (print.is_object() && !stringOf(print, "filename").empty()) {
    auto started = live.detector->printStartedMs();
    current = {
        {"filename", stringOf(print, "filename")},
        {"started_at", started ? nlohmann::json(formatUtcSeconds(*started)) : nlohmann::json(nullptr)}};
    if (!stringOf(print, "job_id").empty()) {
      current["job_id"] = stringOf(print, "job_id");
    }
  }
  nlohmann::json errors = orNull(s, "errors");
  if (!errors.is_array()) {
    errors = nlohmann::json::array();
  }
  // Lower-severity messages a driver keeps apart from errors (they fire no printer_error).
  nlohmann::json notices = orNull(s, "notices");
  if (!notices.is_array()) {
    notices = nlohmann::json::array();
  }
  // A file on its way to the printer while a print starts: {"phase","bytes","total",...}.
  nlohmann::json transfer = orNull(s, "transfer");
  if (!transfer.is_object() || !connected) {
    transfer = nullptr;
  }
  std::string connection_error = stringOf(s, "connection_error");
  if (!connected && connection_error.empty()) {
    connection_error = !live.problem.empty() ? live.problem
                       : s.is_null()         ? "no status reported by the driver yet"
                                             : "not connected";
  }
  return {{"id", live.record.id},
          {"name", live.record.name},
          {"connected", connected},
          {"state", state},
          {"progress", orNull(s, "progress")},
          {"remaining_time", orNull(s, "remaining_time")},
          {"temperature", orNull(temperatures, "nozzle")},
          {"temperatures", temperatures},
          {"layer", orNull(s, "layer")},
          {"total_layers", orNull(s, "total_layers")},
          {"current_print", current},
          {"errors", errors},
          {"print_error", orNull(s, "print_error")},
          {"notices", notices},
          {"transfer", transfer},
          {"awaiting_plate_clear", live.record.awaiting_plate_clear},
          {"connection_error", connected ? nlohmann::json(nullptr) : nlohmann::json(connection_error)},
          {"updated_at", live.updated_at_ms > 0 ? nlohmann::json(formatUtcSeconds(live.updated_at_ms))
                                                : nlohmann::json(nullptr)}};
}

nlohmann::json PrinterRegistry::status(int64_t id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = printers_.find(id);
  if (it == printers_.end()) {
    throw records_.notFound(id);
  }
  return statusLocked(*it->second);
}

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
  if (body.contains("settings")) {
    if (std::optional<nlohmann::json> merged = records_.patchSettings(record, body["settings"])) {
      std::string problem;
      plugins::PluginInstance* instance = nullptr;
      try {
        instance = &records_.replaceInstance(record, *merged, problem);
      } catch (const ServiceError&) {
        std::lock_guard<std::mutex> lock(mutex_);
        printers_.at(id)->problem = problem; // "" when the previous driver runs again
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
    if (live.record.awaiting_plate_clear && !requiresPlateClear(live)) {
      live.record.awaiting_plate_clear = false; // switching the gate off opens it
      saveAwaitingPlateClear(lock, id, false);
    }
  }
  instances.unlock();
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
  std::lock_guard<std::mutex> lock(mutex_);
  by_instance_.erase({record.plugin, record.instance_id});
  early_reports_.erase({record.plugin, record.instance_id});
  printers_.erase(id);
}

bool PrinterRegistry::requiresPlateClear(const Live& live) {
  // Unless the printer says otherwise: on for drivers of real printers, off for simulated ones
  // (nobody stands at a simulated bed).
  return live.record.require_plate_clear.value_or(live.capabilities.value("simulated", false) != true);
}

void PrinterRegistry::saveAwaitingPlateClear(std::unique_lock<std::mutex>& lock, int64_t id, bool awaiting) {
  // In line with the lifecycle's own writes of the gate, so the last decision is the one stored.
  std::unique_lock<std::mutex> order(write_mutex_);
  lock.unlock();
  std::vector<PendingWrite> writes(1);
  writes[0].printer_id = id;
  writes[0].awaiting_plate_clear = awaiting;
  persist(writes);
}

nlohmann::json PrinterRegistry::clearPlate(int64_t id) {
  std::unique_lock<std::mutex> lock(mutex_);
  auto it = printers_.find(id);
  if (it == printers_.end()) {
    throw records_.notFound(id);
  }
  const bool was_awaiting = it->second->record.awaiting_plate_clear;
  it->second->record.awaiting_plate_clear = false;
  nlohmann::json status = statusLocked(*it->second);
  if (was_awaiting) {
    saveAwaitingPlateClear(lock, id, false);
    logger_.info(kComponent, "printer " + std::to_string(id) + ": plate confirmed clear");
  }
  return status;
}

void PrinterRegistry::requireStartSupport(int64_t id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = printers_.find(id);
  if (it == printers_.end()) {
    throw records_.notFound(id);
  }
  const Live& live = *it->second;
  if (live.capabilities.value("start_print", false) != true) {
    std::string reason = stringOf(live.capabilities, "reason_start_print");
    throw PrinterError(PrinterError::Kind::Unsupported, "unsupported",
                       "the " + live.record.plugin + " driver cannot start prints" +
                           (reason.empty() ? std::string() : ": " + reason));
  }
}

nlohmann::json PrinterRegistry::command(int64_t id, const nlohmann::json& command) {
  const std::string action = stringOf(command, "action");
  if (action == "start_print") {
    requireStartSupport(id);
  }
  std::shared_lock<std::shared_mutex> instances(instances_mutex_);
  std::string driver, instance_id, state;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = printers_.find(id);
    if (it == printers_.end()) {
      throw records_.notFound(id);
    }
    const Live& live = *it->second;
    nlohmann::json current = statusLocked(live);
    state = current["state"].get<std::string>();
    if (!current["connected"].get<bool>()) {
      throw PrinterError(PrinterError::Kind::Unavailable, "printer_unavailable",
                         "printer is not connected" +
                             (current["connection_error"].is_string()
                                  ? ": " + current["connection_error"].get<std::string>()
                                  : std::string()),
                         {{"state", state}});
    }
    if (!actionFits(action, state)) {
      throw PrinterError(PrinterError::Kind::Conflict, "state_conflict",
                         "cannot " + (action == "start_print" ? std::string("start a print") : action) +
                             " while the printer is " + state,
                         {{"state", state}});
    }
    driver = live.record.plugin;
    instance_id = live.record.instance_id;
  }
  plugins::PluginInstance* instance = plugins_.findInstance(driver, instance_id);
  if (instance == nullptr) {
    throw PrinterError(PrinterError::Kind::Unavailable, "printer_unavailable",
                       "the printer's driver is not running", {{"state", state}});
  }
  std::string result;
  try {
    result = instance->driverCommand(command.dump());
  } catch (const plugins::PluginCallError& e) {
    throw fromPluginError(e, state);
  }
  if (action == "stop") {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = printers_.find(id);
    if (it != printers_.end()) {
      it->second->detector->noteStopRequested(clock_ms_());
    }
  } else if (action == "start_print") {
    clearPlate(id); // whoever starts a print by hand vouches for the bed
  }
  nlohmann::json parsed = result.empty() ? nlohmann::json::object() : parseJsonLimited(result);
  return parsed.is_object() ? parsed : nlohmann::json::object();
}

} // namespace bambuddy::printers
