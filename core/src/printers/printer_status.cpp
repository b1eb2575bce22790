// Answers about printers and commands to them: the status shape of GET /printers/{id}/status, the
// plate-clear gate and pause/resume/stop/start_print handed to the driver (with a 409 that names
// the state before the driver is bothered).
#include "printers/printer_registry.h"

#include "common/json_parse.h"
#include "common/logger.h"
#include "common/time.h"
#include "plugins/plugin_host.h"
#include "printers/printer_live.h"

namespace bambuddy::printers {

namespace {

using detail::orNull;
using detail::stringOf;

constexpr const char* kComponent = "printers";

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

// Several server instances: this one does not connect the printer, so it cannot command it.
PrinterError elsewhere(int64_t id, const std::string& name) {
  return PrinterError(PrinterError::Kind::Unavailable, "printer_elsewhere",
                      "printer " + std::to_string(id) + " ('" + name +
                          "') is connected by another server instance; printer commands go to the instance "
                          "running the farm (GET /health/farm answers 200 there)");
}

} // namespace

std::vector<int64_t> PrinterRegistry::ids() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<int64_t> out;
  for (const auto& [id, live] : printers_) {
    out.push_back(id);
  }
  return out;
}

std::vector<PrinterRegistry::StatusChange> PrinterRegistry::statusChangesSince(uint64_t& cursor) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<StatusChange> out;
  for (const auto& [id, live] : printers_) {
    if (live->change_seq > cursor) {
      out.push_back({id, statusLocked(*live), live->change_seq, live->owned});
    }
  }
  cursor = change_counter_;
  return out;
}

bool PrinterRegistry::exists(int64_t id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return printers_.count(id) > 0;
}

bool PrinterRegistry::connectsHere(int64_t id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = printers_.find(id);
  return it != printers_.end() && it->second->owned;
}

std::string PrinterRegistry::name(int64_t id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = printers_.find(id);
  return it == printers_.end() ? std::string() : it->second->record.name;
}

void PrinterRegistry::applyRemoteStatus(const std::vector<std::pair<int64_t, nlohmann::json>>& answers) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [id, answer] : answers) {
    auto it = printers_.find(id);
    if (it == printers_.end() || it->second->owned || !answer.is_object()) {
      continue;
    }
    it->second->remote = answer;
    it->second->remote["id"] = id;
    it->second->remote["name"] = it->second->record.name; // renames reach every instance
    changed(*it->second);
  }
}

nlohmann::json PrinterRegistry::statusLocked(const Live& live) const {
  if (!live.owned && live.remote.is_object()) {
    return live.remote; // another instance connects it: its latest word
  }
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
  nlohmann::json answer = {
      {"id", live.record.id},
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
  if (!instance_id_.empty() && live.owned) {
    answer["connected_by"] = instance_id_;
  }
  return answer;
}

nlohmann::json PrinterRegistry::status(int64_t id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = printers_.find(id);
  if (it == printers_.end()) {
    throw records_.notFound(id);
  }
  return statusLocked(*it->second);
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
  if (!it->second->owned) {
    throw elsewhere(id, it->second->record.name); // the holder's gate is in its memory
  }
  const bool was_awaiting = it->second->record.awaiting_plate_clear;
  it->second->record.awaiting_plate_clear = false;
  changed(*it->second);
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
    if (!live.owned) {
      throw elsewhere(id, live.record.name);
    }
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
