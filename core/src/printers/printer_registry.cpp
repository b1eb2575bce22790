#include "printers/printer_registry.h"

#include "common/json_parse.h"
#include "common/logger.h"
#include "common/time.h"
#include "config/schema_validator.h"
#include "journal/event_journal.h"
#include "plugins/plugin_host.h"
#include "plugins/secret_binding.h"
#include "plugins/secret_fields.h"
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

// A change of a destination field (host, port, tls) must resend the access code in the same
// request: the stored one only ever goes to the printer it was entered for. PATCH and the
// connection check of a stored printer both refuse with 400 secret_required otherwise.
void refuseUnlessSecretsResent(const nlohmann::json& stored, const nlohmann::json& patch,
                               nlohmann::json& merged, const std::string& schema) {
  plugins::DestinationChange change = plugins::checkDestinationChange(stored, patch, merged, schema);
  if (!change.refused()) {
    return;
  }
  nlohmann::json fields = nlohmann::json::array();
  for (const std::string& f : change.missing_secrets) {
    fields.push_back("settings." + f);
  }
  throw PrinterError(PrinterError::Kind::Invalid, "secret_required",
                     plugins::secretRequiredMessage(change, "printer"), {{"fields", fields}});
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
    : store_(store), plugins_(plugins), journal_(journal), logger_(logger), clock_ms_(std::move(clock_ms)),
      settings_(std::move(settings)) {}

PrinterRegistry::~PrinterRegistry() {
  stop();
}

void PrinterRegistry::start(const std::vector<ConfiguredPrinter>& configured) {
  const int64_t now = clock_ms_();
  std::vector<PrinterRecord> rows = store_.list();

  // YAML printers: one row each (so they have a stable id), rows of removed ones deleted.
  std::vector<PrinterRecord> kept;
  for (const ConfiguredPrinter& c : configured) {
    auto it = std::find_if(rows.begin(), rows.end(), [&](const PrinterRecord& r) {
      return r.source == "config" && r.driver == c.driver && r.instance_id == c.instance_id;
    });
    if (it == rows.end()) {
      PrinterRecord record;
      record.name = c.name;
      record.driver = c.driver;
      record.instance_id = c.instance_id;
      record.source = "config";
      record.created_at_ms = record.updated_at_ms = now;
      kept.push_back(store_.insert(std::move(record)));
      logger_.info(kComponent, "printer '" + c.name + "' (" + c.driver + "/" + c.instance_id +
                                   ") from the config file has id " + std::to_string(kept.back().id));
    } else {
      if (it->name != c.name) {
        it->name = c.name;
        it->updated_at_ms = now;
        store_.update(*it);
      }
      kept.push_back(*it);
    }
  }
  for (const PrinterRecord& r : rows) {
    if (r.source == "api") {
      kept.push_back(r);
    } else if (std::none_of(kept.begin(), kept.end(), [&](const PrinterRecord& k) { return k.id == r.id; })) {
      if (plugins_.find(r.driver) == nullptr) {
        kept.push_back(r); // its driver did not load this time: keep the printer and say why
        continue;
      }
      store_.remove(r.id);
      logger_.info(kComponent, "printer " + std::to_string(r.id) + " ('" + r.name +
                                   "') is no longer in the config file and was removed");
    }
  }
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return a.id < b.id; });

  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const PrinterRecord& r : kept) {
      adopt(r);
    }
  }
  for (const PrinterRecord& r : kept) {
    replayEarly({r.driver, r.instance_id});
  }
  std::unique_lock<std::shared_mutex> instances(instances_mutex_);
  for (const PrinterRecord& r : kept) {
    if (r.source == "api") {
      std::lock_guard<std::mutex> lock(mutex_);
      Live& live = *printers_.at(r.id);
      // createDriver calls into the plugin host, never back into this registry's mutex: the
      // driver's first report goes through the bus and waits for the lock like any other.
      createDriver(r, live);
    } else {
      plugins::PluginInstance* instance = plugins_.findInstance(r.driver, r.instance_id);
      std::lock_guard<std::mutex> lock(mutex_);
      Live& live = *printers_.at(r.id);
      if (instance == nullptr) {
        live.problem = "the driver plugin " + r.driver + " did not load (see the server log)";
      } else {
        try {
          live.capabilities = parseJsonLimited(instance->driverCapabilities());
        } catch (const std::exception& e) {
          logger_.warn(kComponent, "capabilities of printer " + std::to_string(r.id) + ": " + e.what());
        }
      }
    }
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
  InstanceKey key{record.driver, record.instance_id};
  by_instance_[key] = record.id;
  Live& ref = *live;
  printers_[record.id] = std::move(live);
  return ref;
}

void PrinterRegistry::createDriver(const PrinterRecord& record, Live& live) {
  try {
    plugins::PluginInstance& instance =
        plugins_.createInstance(record.driver, record.instance_id, record.settings);
    live.problem.clear();
    live.capabilities = parseJsonLimited(instance.driverCapabilities());
    if (!live.capabilities.is_object()) {
      live.capabilities = nlohmann::json::object();
    }
  } catch (const std::exception& e) {
    live.problem = std::string("the driver could not start: ") + e.what();
    logger_.warn(kComponent,
                 "printer " + std::to_string(record.id) + " ('" + record.name + "'): " + live.problem);
  }
}

void PrinterRegistry::requirePrinterDriver(const std::string& driver) const {
  const plugins::LoadedPlugin* plugin = plugins_.find(driver);
  if (plugin == nullptr || plugin->descriptor().kind != BB_KIND_PRINTER_DRIVER) {
    std::string loaded;
    for (plugins::PluginSummary& summary : plugins_.summaries()) {
      const plugins::LoadedPlugin* p = plugins_.find(summary.name);
      if (p != nullptr && p->descriptor().kind == BB_KIND_PRINTER_DRIVER) {
        loaded += (loaded.empty() ? "" : ", ") + summary.name;
      }
    }
    throw PrinterError(PrinterError::Kind::Invalid, "invalid_driver",
                       "driver: '" + driver + "' is not a loaded printer driver (loaded: " +
                           (loaded.empty() ? std::string("none") : loaded) + ")");
  }
}

std::string PrinterRegistry::instanceSchema(const std::string& driver) const {
  const plugins::LoadedPlugin* plugin = plugins_.find(driver);
  if (plugin == nullptr || plugin->descriptor().instance_schema == nullptr) {
    return "";
  }
  return plugin->descriptor().instance_schema;
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
    throw PrinterError(PrinterError::Kind::NotFound, "not_found", "no printer with id " + std::to_string(id));
  }
  return statusLocked(*it->second);
}

nlohmann::json PrinterRegistry::details(int64_t id) const {
  std::string schema;
  nlohmann::json out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = printers_.find(id);
    if (it == printers_.end()) {
      throw PrinterError(PrinterError::Kind::NotFound, "not_found",
                         "no printer with id " + std::to_string(id));
    }
    const Live& live = *it->second;
    out = {{"id", live.record.id},
           {"name", live.record.name},
           {"driver", live.record.driver},
           {"instance_id", live.record.instance_id},
           {"source", live.record.source},
           {"settings", live.record.settings},
           {"capabilities", live.capabilities},
           {"require_plate_clear", requiresPlateClear(live)},
           {"model", orNull(live.status, "model")},
           {"firmware", orNull(live.status, "firmware")},
           {"created_at", formatUtcSeconds(live.record.created_at_ms)},
           {"updated_at", formatUtcSeconds(live.record.updated_at_ms)},
           {"status", statusLocked(live)}};
    schema = instanceSchema(live.record.driver);
  }
  out["settings"] = plugins::redactSecrets(out["settings"], schema);
  return out;
}

// The body's shape (keys, types, lengths) was checked by the route's body schema.
nlohmann::json PrinterRegistry::create(const nlohmann::json& body) {
  std::string name = body.at("name").get<std::string>();
  std::string driver = body.at("driver").get<std::string>();
  requirePrinterDriver(driver);
  nlohmann::json settings = body.value("settings", nlohmann::json::object());

  std::unique_lock<std::shared_mutex> instances(instances_mutex_);
  PrinterRecord record;
  record.name = name;
  record.driver = driver;
  record.source = "api";
  record.settings = settings;
  record.require_plate_clear = plateClearChoice(body);
  record.created_at_ms = record.updated_at_ms = clock_ms_();
  record = store_.insert(std::move(record));
  try {
    plugins::PluginInstance& instance = plugins_.createInstance(driver, record.instance_id, settings);
    nlohmann::json caps = parseJsonLimited(instance.driverCapabilities());
    {
      std::lock_guard<std::mutex> lock(mutex_);
      Live& live = adopt(record);
      live.capabilities = caps.is_object() ? caps : nlohmann::json::object();
    }
    replayEarly({driver, record.instance_id});
  } catch (const std::exception& e) {
    store_.remove(record.id);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      early_reports_.erase({driver, record.instance_id});
    }
    plugins_.destroyInstance(driver, record.instance_id);
    throw PrinterError(PrinterError::Kind::Invalid, "invalid_settings", std::string("settings: ") + e.what());
  }
  instances.unlock();
  logger_.info(kComponent,
               "printer " + std::to_string(record.id) + " ('" + name + "', " + driver + ") added");
  return details(record.id);
}

nlohmann::json PrinterRegistry::update(int64_t id, const nlohmann::json& body) {
  std::unique_lock<std::shared_mutex> instances(instances_mutex_);
  PrinterRecord record = recordOf(id);
  if (body.contains("require_plate_clear")) {
    record.require_plate_clear = plateClearChoice(body);
  }
  // The gate is the server's, not the driver's: it can be set for printers declared in YAML too.
  if (record.source == "config" && (body.contains("name") || body.contains("settings"))) {
    throw PrinterError(PrinterError::Kind::Conflict, "declared_in_config",
                       "this printer is declared in the config file (plugins.load[].instances of " +
                           record.driver + "); change it there and restart");
  }
  std::optional<std::string> new_name;
  if (body.contains("name")) {
    new_name = body["name"].get<std::string>();
  }
  if (body.contains("settings")) {
    const std::string schema = instanceSchema(record.driver);
    nlohmann::json merged = plugins::mergeSettings(record.settings, body["settings"], schema);
    refuseUnlessSecretsResent(record.settings, body["settings"], merged, schema);
    if (merged != record.settings) {
      plugins_.destroyInstance(record.driver, record.instance_id);
      std::string failure;
      nlohmann::json caps;
      try {
        caps = parseJsonLimited(
            plugins_.createInstance(record.driver, record.instance_id, merged).driverCapabilities());
      } catch (const std::exception& e) {
        failure = e.what();
      }
      std::lock_guard<std::mutex> lock(mutex_);
      Live& live = *printers_.at(id);
      if (!failure.empty()) {
        // Put the previous driver back: a rejected change changes nothing.
        createDriver(record, live);
        throw PrinterError(PrinterError::Kind::Invalid, "invalid_settings", "settings: " + failure);
      }
      record.settings = merged;
      live.problem.clear();
      live.capabilities = caps.is_object() ? caps : nlohmann::json::object();
    }
  }
  if (new_name) {
    record.name = *new_name;
  }
  record.updated_at_ms = clock_ms_();
  store_.update(record);
  {
    std::unique_lock<std::mutex> lock(mutex_);
    Live& live = *printers_.at(id);
    record.awaiting_plate_clear = live.record.awaiting_plate_clear; // owned by the lifecycle
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
    const nlohmann::json& id = body["printer_id"];
    PrinterRecord record = recordOf(id.get<int64_t>());
    if (record.source == "config") {
      throw PrinterError(
          PrinterError::Kind::Conflict, "declared_in_config",
          "this printer is declared in the config file; its settings are checked when the server starts");
    }
    if (body.contains("driver") && body["driver"] != record.driver) {
      throw PrinterError(PrinterError::Kind::Invalid, "invalid_driver",
                         "driver: printer " + std::to_string(record.id) + " uses " + record.driver);
    }
    const std::string schema = instanceSchema(record.driver);
    nlohmann::json merged = plugins::mergeSettings(record.settings, patch, schema);
    // The stored access code goes only where it was entered for, as with PATCH.
    refuseUnlessSecretsResent(record.settings, patch, merged, schema);
    target = {record.driver, merged, record.id};
  } else {
    // Which of driver and printer_id is needed depends on the other: a rule beyond the schema.
    if (!body.contains("driver")) {
      throw PrinterError(PrinterError::Kind::Invalid, "invalid_driver",
                         "driver: required (the name of a printer driver plugin such as printer.bambu), "
                         "unless printer_id names a stored printer");
    }
    target.driver = body["driver"].get<std::string>();
    requirePrinterDriver(target.driver);
    target.settings = patch;
  }
  const plugins::LoadedPlugin* plugin = plugins_.find(target.driver);
  if (plugin == nullptr) {
    throw PrinterError(PrinterError::Kind::Invalid, "invalid_driver",
                       "driver: '" + target.driver + "' is not loaded");
  }
  std::string problems;
  for (const auto& issue : plugin->instanceValidator().validate(target.settings)) {
    problems += (problems.empty() ? "" : "; ") + (issue.path.empty() ? std::string("settings") : issue.path) +
                ": " + issue.message;
  }
  if (!problems.empty()) {
    throw PrinterError(PrinterError::Kind::Invalid, "invalid_settings", "settings: " + problems);
  }
  return target;
}

PrinterRecord PrinterRegistry::recordOf(int64_t id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = printers_.find(id);
  if (it == printers_.end()) {
    throw PrinterError(PrinterError::Kind::NotFound, "not_found", "no printer with id " + std::to_string(id));
  }
  return it->second->record;
}

void PrinterRegistry::stopDriverFirst(const PrinterRecord& record) {
  std::shared_lock<std::shared_mutex> instances(instances_mutex_);
  if (plugins::PluginInstance* instance = plugins_.findInstance(record.driver, record.instance_id)) {
    try {
      instance->driverStop();
    } catch (const std::exception& e) {
      logger_.warn(kComponent,
                   "stopping the driver of printer " + std::to_string(record.id) + " failed: " + e.what());
    }
  }
}

void PrinterRegistry::remove(int64_t id) {
  if (recordOf(id).source == "config") {
    throw PrinterError(PrinterError::Kind::Conflict, "declared_in_config",
                       "this printer is declared in the config file; remove it there and restart");
  }
  stopDriverFirst(recordOf(id));
  std::unique_lock<std::shared_mutex> instances(instances_mutex_);
  PrinterRecord record = recordOf(id);
  plugins_.destroyInstance(record.driver, record.instance_id);
  store_.remove(id);
  std::lock_guard<std::mutex> lock(mutex_);
  by_instance_.erase({record.driver, record.instance_id});
  early_reports_.erase({record.driver, record.instance_id});
  printers_.erase(id);
  logger_.info(kComponent, "printer " + std::to_string(id) + " ('" + record.name + "') removed");
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
    throw PrinterError(PrinterError::Kind::NotFound, "not_found", "no printer with id " + std::to_string(id));
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
    throw PrinterError(PrinterError::Kind::NotFound, "not_found", "no printer with id " + std::to_string(id));
  }
  const Live& live = *it->second;
  if (live.capabilities.value("start_print", false) != true) {
    std::string reason = stringOf(live.capabilities, "reason_start_print");
    throw PrinterError(PrinterError::Kind::Unsupported, "unsupported",
                       "the " + live.record.driver + " driver cannot start prints" +
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
      throw PrinterError(PrinterError::Kind::NotFound, "not_found",
                         "no printer with id " + std::to_string(id));
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
    driver = live.record.driver;
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
