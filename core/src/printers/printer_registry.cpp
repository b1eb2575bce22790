#include "printers/printer_registry.h"

#include "printers/printer_live.h"

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

records::RecordKind printerKind() {
  records::RecordKind kind;
  kind.noun = "printer";
  kind.log_component = kComponent;
  kind.plugin_kind = BB_KIND_PRINTER_DRIVER;
  kind.plugin_label = "printer driver";
  kind.plugin_field = "driver";
  return kind;
}

// Reports of a printer not mapped yet (the registry maps printers after the plugin host has
// started their drivers; with hundreds of printers that takes seconds, long enough for a short
// print to start and end). The detector needs every change of state and job, so a report that
// changes either is kept and one that does not replaces the last kept; past the bound the last
// kept is replaced too.
constexpr size_t kMaxEarlyReports = 64;

std::string earlyKey(const nlohmann::json& report) {
  const nlohmann::json print = detail::orNull(report, "current_print");
  return detail::stringOf(report, "state") + '\n' + detail::stringOf(print, "filename") + '\n' +
         detail::stringOf(print, "job_id");
}

void keepEarly(std::vector<nlohmann::json>& kept, nlohmann::json report) {
  if (!kept.empty() && (earlyKey(kept.back()) == earlyKey(report) || kept.size() >= kMaxEarlyReports)) {
    kept.back() = std::move(report);
  } else {
    kept.push_back(std::move(report));
  }
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

PrinterRegistry::PrinterRegistry(PrinterStore& store, plugins::PluginHost& plugins,
                                 journal::EventJournal& journal, Logger& logger,
                                 std::function<int64_t()> clock_ms, LifecycleSettings settings)
    : store_(store), plugins_(plugins), records_(printerKind(), plugins, logger, clock_ms), journal_(journal),
      logger_(logger), clock_ms_(std::move(clock_ms)), settings_(std::move(settings)) {}

PrinterRegistry::~PrinterRegistry() {
  stop();
}

void PrinterRegistry::start(const config::CoreConfig& config, bool connect) {
  connect_all_ = connect;
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
      adopt(r).owned = connect;
    }
  }
  if (connect) {
    for (const PrinterRecord& r : kept) {
      replayEarly({r.plugin, r.instance_id});
    }
    for (const PrinterRecord& r : kept) {
      startDriver(r);
    }
  }

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

void PrinterRegistry::changed(Live& live) {
  live.change_seq = ++change_counter_;
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
  changed(ref);
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
    keepEarly(early_reports_[key], std::move(*status));
    return true;
  }
  Live& live = *printers_.at(it->second);
  if (!live.owned) {
    return true; // a driver on its way out after the lease went elsewhere: the new holder decides
  }
  // Reports from before the printer was mapped go first: the driver's next one may get here
  // before start() or create() replays them, and the detector must see them in the driver's order.
  std::vector<nlohmann::json> reports;
  if (auto early = early_reports_.find(key); early != early_reports_.end()) {
    reports = std::move(early->second);
    early_reports_.erase(early);
  }
  if (status != nullptr) {
    reports.push_back(std::move(*status));
  }
  for (nlohmann::json& report : reports) {
    live.status = std::move(report);
    live.updated_at_ms = clock_ms_();
    changed(live);
    const std::optional<int64_t> offline_due = live.detector->offlineDueMs();
    PendingWrite write = decide(live, live.detector->onReport(live.status, live.updated_at_ms));
    const std::string state = detail::stringOf(live.status, "state");
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
    if (!live->owned) {
      continue;
    }
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
      if (!live->owned) {
        continue;
      }
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

} // namespace bambuddy::printers
