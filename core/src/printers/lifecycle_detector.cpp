#include "printers/lifecycle_detector.h"

#include "common/time.h"

#include <algorithm>

namespace bambuddy::printers {

namespace {

// An end reported this long after a stop requested through the API is the user's cancel.
constexpr int64_t kStopAttributionMs = 120000;

std::string stringField(const nlohmann::json& object, const char* key) {
  if (object.is_object()) {
    auto it = object.find(key);
    if (it != object.end() && it->is_string()) {
      return it->get<std::string>();
    }
  }
  return {};
}

std::optional<double> numberField(const nlohmann::json& object, const char* key) {
  if (object.is_object()) {
    auto it = object.find(key);
    if (it != object.end() && it->is_number()) {
      return it->get<double>();
    }
  }
  return std::nullopt;
}

const nlohmann::json& currentPrint(const nlohmann::json& status) {
  static const nlohmann::json kNull;
  auto it = status.find("current_print");
  return it != status.end() && it->is_object() ? *it : kNull;
}

// The error or notice that explains a failed print: the one whose code is the printer's
// print_error (drivers may list it among notices when it is below their error threshold), else the
// first error. nullptr when the status lists none.
const nlohmann::json* describingEntry(const nlohmann::json& status, const std::string& print_error) {
  const nlohmann::json* first_error = nullptr;
  for (const char* list : {"errors", "notices"}) {
    auto entries = status.find(list);
    if (entries == status.end() || !entries->is_array()) {
      continue;
    }
    for (const nlohmann::json& entry : *entries) {
      if (!entry.is_object()) {
        continue;
      }
      if (!print_error.empty() && stringField(entry, "code") == print_error) {
        return &entry;
      }
      if (first_error == nullptr && std::string(list) == "errors") {
        first_error = &entry;
      }
    }
  }
  return first_error;
}

bool isActive(const std::string& state) {
  return state == "preparing" || state == "printing" || state == "paused";
}

// Two reports describe different jobs only when they say so: a job id or file name that appears
// later (drivers learn them step by step) is the same job.
bool differentJob(const std::string& old_key, const std::string& new_key) {
  if (old_key.empty() || new_key.empty()) {
    return false;
  }
  auto split = [](const std::string& key) {
    std::size_t sep = key.find('\x1f');
    return std::make_pair(key.substr(0, sep), sep == std::string::npos ? "" : key.substr(sep + 1));
  };
  auto [old_file, old_job] = split(old_key);
  auto [new_file, new_job] = split(new_key);
  if (!old_job.empty() && !new_job.empty()) {
    return old_job != new_job;
  }
  return !old_file.empty() && !new_file.empty() && old_file != new_file;
}

} // namespace

nlohmann::json LifecycleMemory::toJson() const {
  return {{"in_print", in_print},
          {"job_key", job_key},
          {"filename", filename},
          {"started_at_ms", started_at_ms},
          {"last_milestone", last_milestone},
          {"paused", paused},
          {"offline_announced", offline_announced},
          {"error_codes", error_codes}};
}

LifecycleMemory LifecycleMemory::fromJson(const nlohmann::json& json) {
  LifecycleMemory m;
  if (!json.is_object()) {
    return m;
  }
  auto flag = [&](const char* key, bool& out) {
    auto it = json.find(key);
    if (it != json.end() && it->is_boolean()) {
      out = it->get<bool>();
    }
  };
  flag("in_print", m.in_print);
  flag("paused", m.paused);
  flag("offline_announced", m.offline_announced);
  m.job_key = stringField(json, "job_key");
  m.filename = stringField(json, "filename");
  if (auto v = json.find("started_at_ms"); v != json.end() && v->is_number_integer()) {
    m.started_at_ms = v->get<int64_t>();
  }
  if (auto v = json.find("last_milestone"); v != json.end() && v->is_number_integer()) {
    m.last_milestone = v->get<int>();
  }
  if (auto v = json.find("error_codes"); v != json.end() && v->is_array()) {
    for (const auto& code : *v) {
      if (code.is_string()) {
        m.error_codes.insert(code.get<std::string>());
      }
    }
  }
  return m;
}

LifecycleDetector::LifecycleDetector(LifecycleSettings settings, LifecycleMemory memory, int64_t now_ms)
    : settings_(std::move(settings)), memory_(std::move(memory)) {
  // Until the driver reports a connection, the printer counts as going offline from now: one that
  // never connects is announced after the debounce, one that connects in time is not.
  if (!memory_.offline_announced) {
    offline_since_ms_ = now_ms;
  }
}

std::optional<int64_t> LifecycleDetector::offlineDueMs() const {
  if (!offline_since_ms_) {
    return std::nullopt;
  }
  return *offline_since_ms_ + settings_.offline_debounce_ms;
}

std::optional<int64_t> LifecycleDetector::printStartedMs() const {
  if (!memory_.in_print) {
    return std::nullopt;
  }
  return memory_.started_at_ms;
}

std::vector<LifecycleEvent> LifecycleDetector::onReport(const nlohmann::json& status, int64_t now_ms) {
  std::vector<LifecycleEvent> out;
  if (!status.is_object()) {
    return out;
  }
  const std::string state = stringField(status, "state");
  bool connected = state != "offline";
  if (auto it = status.find("connected"); it != status.end() && it->is_boolean()) {
    connected = connected && it->get<bool>();
  }
  last_connection_error_ = stringField(status, "connection_error");
  connectivity(connected, now_ms, out);
  if (connected) {
    printState(status, now_ms, out);
    errors(status, out);
  }
  return out;
}

std::vector<LifecycleEvent> LifecycleDetector::onTick(int64_t now_ms) {
  std::vector<LifecycleEvent> out;
  if (offline_since_ms_ && now_ms >= *offline_since_ms_ + settings_.offline_debounce_ms) {
    nlohmann::json data = {{"status", "offline"}, {"offline_since", formatUtcSeconds(*offline_since_ms_)}};
    if (!last_connection_error_.empty()) {
      data["error"] = last_connection_error_;
    }
    out.push_back({"printer_offline", std::move(data)});
    memory_.offline_announced = true;
    offline_since_ms_.reset();
  }
  return out;
}

void LifecycleDetector::connectivity(bool connected, int64_t now_ms, std::vector<LifecycleEvent>& out) {
  if (connected) {
    offline_since_ms_.reset(); // back inside the debounce: nothing to announce
    if (memory_.offline_announced) {
      memory_.offline_announced = false;
      out.push_back({"printer_online", {{"status", "online"}}});
    }
    return;
  }
  if (!offline_since_ms_ && !memory_.offline_announced) {
    offline_since_ms_ = now_ms;
  }
}

void LifecycleDetector::printState(const nlohmann::json& status, int64_t now_ms,
                                   std::vector<LifecycleEvent>& out) {
  const std::string state = stringField(status, "state");
  const nlohmann::json& print = currentPrint(status);
  const std::string filename = stringField(print, "filename");
  const std::string key = filename + '\x1f' + stringField(print, "job_id");
  const std::string bare_key = key == "\x1f" ? std::string() : key;

  if (isActive(state)) {
    if (memory_.in_print && differentJob(memory_.job_key, bare_key)) {
      // The printer moved on to another job without reporting how the previous one ended.
      endPrint("print_failed", "failed", status,
               {{"code", "superseded"}, {"message", "a new job started before this one reported its end"}},
               now_ms, out);
    }
    if (!memory_.in_print) {
      startPrint(status, bare_key, now_ms, out);
    } else {
      // Job ids and names can arrive a report or two after the start.
      if (memory_.filename.empty() && !filename.empty()) {
        memory_.filename = filename;
      }
      if (!bare_key.empty() && memory_.job_key != bare_key && !differentJob(memory_.job_key, bare_key)) {
        memory_.job_key = bare_key;
      }
    }
    if (state == "paused" && !memory_.paused) {
      memory_.paused = true;
      out.push_back({"print_paused", printData(status, now_ms)});
      out.back().data["status"] = "paused";
    } else if (state != "paused" && memory_.paused) {
      memory_.paused = false;
      out.push_back({"print_resumed", printData(status, now_ms)});
      out.back().data["status"] = "printing";
    }
    // Progress counts only once the print runs: while preparing, printers still show the last
    // job's percentage.
    auto progress = numberField(status, "progress");
    if (progress && state != "preparing") {
      int reached = 0;
      for (int milestone : settings_.progress_milestones) {
        if (milestone > memory_.last_milestone && *progress >= milestone) {
          reached = std::max(reached, milestone);
        }
      }
      if (reached > 0) {
        memory_.last_milestone = reached;
        LifecycleEvent event{"print_progress", printData(status, now_ms)};
        event.data["progress"] = reached;
        event.data["progress_exact"] = *progress;
        event.data["status"] = "printing";
        out.push_back(std::move(event));
      }
    }
    return;
  }

  if (!memory_.in_print) {
    return;
  }
  const bool stop_requested = stop_requested_ms_ >= 0 && now_ms - stop_requested_ms_ <= kStopAttributionMs;
  const std::string end_reason = stringField(status, "end_reason");
  if (state == "finished") {
    endPrint("print_complete", "success", status, nullptr, now_ms, out);
  } else if (state == "failed") {
    if (end_reason == "cancelled" || stop_requested) {
      endPrint("print_cancelled", "cancelled", status, nullptr, now_ms, out);
    } else {
      nlohmann::json error = {{"code", stringField(status, "print_error")}};
      const nlohmann::json* explained = describingEntry(status, error["code"].get<std::string>());
      if (explained != nullptr) {
        error["message"] = stringField(*explained, "message");
        if (error["code"].get<std::string>().empty()) {
          error["code"] = stringField(*explained, "code");
        }
      }
      if (error["code"].get<std::string>().empty()) {
        error["code"] = nullptr;
      }
      endPrint("print_failed", "failed", status, error, now_ms, out);
    }
  } else if (state == "idle") {
    // Back to idle without finishing: the job was aborted (Bambu printers do this on a stop from
    // the screen or the app).
    endPrint("print_cancelled", "cancelled", status, nullptr, now_ms, out);
  }
}

void LifecycleDetector::startPrint(const nlohmann::json& status, const std::string& key, int64_t now_ms,
                                   std::vector<LifecycleEvent>& out) {
  memory_.in_print = true;
  memory_.job_key = key;
  memory_.filename = stringField(currentPrint(status), "filename");
  memory_.started_at_ms = now_ms;
  memory_.last_milestone = 0;
  memory_.paused = false;
  stop_requested_ms_ = -1;
  LifecycleEvent event{"print_started", printData(status, now_ms)};
  event.data["status"] = "printing";
  out.push_back(std::move(event));
}

void LifecycleDetector::endPrint(const std::string& type, const std::string& outcome,
                                 const nlohmann::json& status, const nlohmann::json& error, int64_t now_ms,
                                 std::vector<LifecycleEvent>& out) {
  LifecycleEvent event{type, printData(status, now_ms)};
  event.data["status"] = outcome;
  event.data["duration"] = std::max<int64_t>(0, (now_ms - memory_.started_at_ms) / 1000);
  event.data["ended_at"] = formatUtcSeconds(now_ms);
  if (!error.is_null()) {
    event.data["error"] = error;
  }
  out.push_back(std::move(event));
  memory_.in_print = false;
  memory_.job_key.clear();
  memory_.filename.clear();
  memory_.started_at_ms = 0;
  memory_.last_milestone = 0;
  memory_.paused = false;
  stop_requested_ms_ = -1;
}

nlohmann::json LifecycleDetector::printData(const nlohmann::json& status, int64_t now_ms) const {
  (void)now_ms;
  // While a print is tracked its own name and job id win: when a new job replaces it, the end
  // event of the old one must not carry the new job's name.
  const nlohmann::json& print = currentPrint(status);
  std::string filename = memory_.in_print ? memory_.filename : std::string();
  if (filename.empty()) {
    filename = stringField(print, "filename");
  }
  std::string job_id;
  if (memory_.in_print) {
    std::size_t sep = memory_.job_key.find('\x1f');
    job_id = sep == std::string::npos ? std::string() : memory_.job_key.substr(sep + 1);
  }
  if (job_id.empty()) {
    job_id = stringField(print, "job_id");
  }
  nlohmann::json data = {{"filename", filename.empty() ? nlohmann::json(nullptr) : nlohmann::json(filename)},
                         {"started_at", formatUtcSeconds(memory_.started_at_ms)}};
  if (!job_id.empty()) {
    data["job_id"] = job_id;
  }
  // The job's name as the slicer or printer calls it ("Fidget Collection"), apart from the file.
  const std::string job_name = stringField(print, "name");
  data["job_name"] = job_name.empty() ? nlohmann::json(nullptr) : nlohmann::json(job_name);
  if (auto plate = numberField(print, "plate"); plate && *plate >= 1 && *plate <= 64) {
    data["plate"] = static_cast<int64_t>(*plate);
  }
  auto progress = numberField(status, "progress");
  data["progress"] = progress ? nlohmann::json(*progress) : nlohmann::json(nullptr);
  auto filament = numberField(status, "filament_used");
  data["filament_used"] = filament ? nlohmann::json(*filament) : nlohmann::json(nullptr);
  for (const char* key : {"layer", "total_layers", "remaining_time"}) {
    auto v = numberField(status, key);
    if (v) {
      data[key] = static_cast<int64_t>(*v);
    }
  }
  return data;
}

void LifecycleDetector::errors(const nlohmann::json& status, std::vector<LifecycleEvent>& out) {
  auto list = status.find("errors");
  std::set<std::string> now_active;
  if (list != status.end() && list->is_array()) {
    for (const auto& error : *list) {
      std::string code = stringField(error, "code");
      if (code.empty() || !now_active.insert(code).second) {
        continue;
      }
      if (memory_.error_codes.count(code) == 0) {
        nlohmann::json data = {{"status", stringField(status, "state")},
                               {"error",
                                {{"code", code},
                                 {"severity", stringField(error, "severity")},
                                 {"module", stringField(error, "module")},
                                 {"message", stringField(error, "message")}}}};
        if (memory_.in_print) {
          data["filename"] = memory_.filename;
        }
        out.push_back({"printer_error", std::move(data)});
      }
    }
  }
  // An error that cleared and comes back later is announced again.
  memory_.error_codes = std::move(now_active);
}

} // namespace bambuddy::printers
