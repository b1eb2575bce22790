#include "printer_state.h"

#include <bambuddy/utf8.hpp>

#include <cmath>
#include <limits>

namespace bambuddy::printer_bambu {
namespace {

using nlohmann::json;

constexpr size_t kMaxTextBytes = 1024; // file names and job ids longer than this are refused
constexpr size_t kMaxHmsEntries = 64;

void skip(PrinterState::ApplyResult& result, const std::string& field, const char* why) {
  if (result.skipped_fields++ == 0) {
    result.problem = "skipped print." + field + ": " + why;
  }
}

template <class T> void assign(std::optional<T>& slot, T value, bool& changed) {
  if (slot != value) {
    slot = value;
    changed = true;
  }
}

void assign(std::string& slot, std::string value, bool& changed) {
  if (slot != value) {
    slot = std::move(value);
    changed = true;
  }
}

// An integer, also accepted as an integral float (64.0); nullopt otherwise.
std::optional<int64_t> integerOf(const json& v) {
  if (v.is_number_integer()) {
    return v.get<int64_t>();
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) {
      return static_cast<int64_t>(d);
    }
  }
  return std::nullopt;
}

// A 32-bit word: printers send it unsigned; accept the signed reading too and keep the bits.
std::optional<uint32_t> wordOf(const json& v) {
  std::optional<int64_t> n = integerOf(v);
  if (!n && v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (!s.empty() && s.size() <= 11 && s.find_first_not_of("0123456789") == std::string::npos) {
      n = std::stoll(s);
    }
  }
  if (!n || *n < std::numeric_limits<int32_t>::min() || *n > std::numeric_limits<uint32_t>::max()) {
    return std::nullopt;
  }
  return static_cast<uint32_t>(*n);
}

Activity activityOf(const std::string& gcode_state) {
  if (gcode_state == "IDLE") {
    return Activity::Idle;
  }
  if (gcode_state == "PREPARE" || gcode_state == "SLICING") {
    return Activity::Preparing;
  }
  if (gcode_state == "RUNNING") {
    return Activity::Printing;
  }
  if (gcode_state == "PAUSE") {
    return Activity::Paused;
  }
  if (gcode_state == "FINISH") {
    return Activity::Finished;
  }
  if (gcode_state == "FAILED") {
    return Activity::Failed;
  }
  return Activity::Unknown;
}

bool isActive(Activity a) {
  return a == Activity::Preparing || a == Activity::Printing || a == Activity::Paused;
}

std::string basename(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

} // namespace

const char* activityName(Activity activity) {
  switch (activity) {
  case Activity::Idle:
    return "idle";
  case Activity::Preparing:
    return "preparing";
  case Activity::Printing:
    return "printing";
  case Activity::Paused:
    return "paused";
  case Activity::Finished:
    return "finished";
  case Activity::Failed:
    return "failed";
  case Activity::Unknown:
    break;
  }
  return "";
}

PrinterState::PrinterState(Options options)
    : error_min_severity_(options.error_min_severity),
      table_(options.table != nullptr ? options.table : &HmsTable::builtin()) {}

PrinterState::ApplyResult PrinterState::applyPayload(std::string_view payload) {
  return apply(parseReport(payload));
}

PrinterState::ApplyResult PrinterState::apply(const ParsedReport& report) {
  ApplyResult result;
  result.kind = report.kind;
  if (report.kind == ParsedReport::Kind::Invalid) {
    result.problem = report.problem;
  } else if (report.kind == ParsedReport::Kind::PushStatus) {
    applyPrint(report.body, report.repaired, result);
  } else if (report.kind == ParsedReport::Kind::Version) {
    applyInfo(report.body, result);
  }
  return result;
}

void PrinterState::applyPrint(const json& print, bool repaired, ApplyResult& result) {
  const Activity before = activity_;
  bool& changed = result.changed;
  for (const auto& [key, v] : print.items()) {
    if (key == "command") {
      continue;
    }
    if (key == "gcode_state") {
      Activity a = v.is_string() ? activityOf(v.get_ref<const std::string&>()) : Activity::Unknown;
      if (a == Activity::Unknown) {
        skip(result, key, "not a known gcode_state");
      } else if (a != activity_) {
        activity_ = a;
        changed = true;
      }
    } else if (key == "mc_percent") {
      std::optional<int64_t> n = integerOf(v);
      if (!n || *n < 0 || *n > 100) {
        skip(result, key, "not an integer from 0 to 100");
      } else {
        assign(percent_, *n, changed);
      }
    } else if (key == "mc_remaining_time") {
      std::optional<int64_t> n = integerOf(v);
      if (!n || *n < 0 || *n > 1000000) {
        skip(result, key, "not a number of minutes");
      } else {
        assign(remaining_min_, *n, changed);
      }
    } else if (key == "layer_num" || key == "total_layer_num") {
      std::optional<int64_t> n = integerOf(v);
      if (!n || *n < 0 || *n > 10000000) {
        skip(result, key, "not a layer count");
      } else {
        assign(key == "layer_num" ? layer_ : total_layers_, *n, changed);
      }
    } else if (key == "nozzle_temper" || key == "nozzle_target_temper" || key == "bed_temper" ||
               key == "bed_target_temper" || key == "chamber_temper") {
      double t = v.is_number() ? v.get<double>() : std::nan("");
      if (!std::isfinite(t) || t < -100 || t > 2000) {
        skip(result, key, "not a temperature");
        continue;
      }
      // A tenth of a degree is all anyone reads; finer steps (P1/A1 send 1/32 °C) would only
      // turn sensor noise into status reports.
      t = std::round(t * 10) / 10;
      std::optional<double>& slot = key == "nozzle_temper"          ? nozzle_
                                    : key == "nozzle_target_temper" ? nozzle_target_
                                    : key == "bed_temper"           ? bed_
                                    : key == "bed_target_temper"    ? bed_target_
                                                                    : chamber_;
      assign(slot, t, changed);
    } else if (key == "subtask_name" || key == "gcode_file" || key == "subtask_id" || key == "task_id" ||
               key == "project_id") {
      std::string text;
      bool is_id = key != "subtask_name" && key != "gcode_file";
      if (v.is_string()) {
        text = v.get<std::string>();
      } else if (is_id && v.is_number_integer()) {
        text = v.dump();
      } else {
        skip(result, key, "not a string");
        continue;
      }
      if (text.size() > kMaxTextBytes || text.find('\0') != std::string::npos) {
        skip(result, key, "too long or holds NUL");
        continue;
      }
      if (repaired && text.find(sdk::kUtf8Replacement) != std::string::npos) {
        skip(result, key, "invalid UTF-8");
        continue;
      }
      std::string& slot = key == "subtask_name" ? subtask_name_
                          : key == "gcode_file" ? gcode_file_
                          : key == "subtask_id" ? subtask_id_
                          : key == "task_id"    ? task_id_
                                                : project_id_;
      assign(slot, std::move(text), changed);
    } else if (key == "hms") {
      applyHms(v, result);
    } else if (key == "print_error" || key == "fail_reason") {
      std::optional<uint32_t> word = wordOf(v);
      if (!word) {
        skip(result, key, "not a 32-bit error code");
        continue;
      }
      uint32_t& slot = key == "print_error" ? print_error_ : fail_reason_;
      if (slot != *word) {
        slot = *word;
        changed = true;
      }
    }
  }
  updateEndReason(before, result);
}

void PrinterState::applyHms(const json& list, ApplyResult& result) {
  if (!list.is_array()) {
    skip(result, "hms", "not an array");
    return;
  }
  // Every report carries the whole active list, so it replaces what was known.
  std::vector<HmsError> errors;
  for (const json& entry : list) {
    if (errors.size() >= kMaxHmsEntries) {
      skip(result, "hms", "more than 64 entries");
      break;
    }
    std::optional<uint32_t> attr, code;
    if (entry.is_object()) {
      auto a = entry.find("attr");
      auto c = entry.find("code");
      if (a != entry.end() && c != entry.end() && !a->is_string() && !c->is_string()) {
        attr = wordOf(*a);
        code = wordOf(*c);
      }
    }
    if (!attr || !code) {
      skip(result, "hms", "entry without integer attr and code");
      continue;
    }
    if (*attr == 0 && *code == 0) {
      continue; // an empty slot, not an error
    }
    errors.push_back(decodeHms(*attr, *code));
  }
  if (errors != errors_) {
    errors_ = std::move(errors);
    result.changed = true;
  }
}

bool PrinterState::cancelCodeSeen() const {
  return print_error_ == kPrintErrorCancelled || fail_reason_ == kPrintErrorCancelled;
}

void PrinterState::updateEndReason(Activity before, ApplyResult& result) {
  std::string reason = end_reason_;
  if (activity_ != before) {
    if (activity_ == Activity::Failed) {
      reason = cancelCodeSeen() ? "cancelled" : "error";
    } else if (activity_ == Activity::Idle) {
      // Bambu firmware goes straight back to IDLE when a job is stopped from the screen or app.
      reason = isActive(before) ? "cancelled" : "";
    } else {
      reason.clear();
    }
  } else if (activity_ == Activity::Failed && cancelCodeSeen()) {
    // The cancel code arrives a few seconds after FAILED (P2S: 5 s) and is reset to 0 later;
    // once seen, the failure stays a cancel.
    reason = "cancelled";
  }
  assign(end_reason_, std::move(reason), result.changed);
}

void PrinterState::applyInfo(const json& info, ApplyResult& result) {
  auto modules = info.find("module");
  if (modules == info.end() || !modules->is_array()) {
    result.skipped_fields++;
    result.problem = "get_version reply without a module list";
    return;
  }
  auto text = [](const json& m, const char* field) -> std::string {
    auto it = m.find(field);
    if (it == m.end() || !it->is_string() || it->get_ref<const std::string&>().size() > 128) {
      return std::string();
    }
    return it->get<std::string>();
  };
  std::string firmware, model, project;
  for (const json& m : *modules) {
    if (!m.is_object()) {
      continue;
    }
    std::string name = text(m, "name");
    if (name == "ota") {
      // The "ota" module carries the printer's firmware version and, on newer firmware, its name.
      firmware = text(m, "sw_ver");
      model = text(m, "product_name");
    }
    if ((name == "ota" || name == "esp32") && project.empty()) {
      project = text(m, "project_name");
    }
  }
  const std::string prefix = "Bambu Lab ";
  if (model.compare(0, prefix.size(), prefix) == 0) {
    model = model.substr(prefix.size());
  }
  if (model.empty()) {
    // Older P1/A1 firmware names only the project (ha-bambulab's table).
    model = project == "C11"   ? "P1P"
            : project == "C12" ? "P1S"
            : project == "N1"  ? "A1 mini"
            : project == "N2S" ? "A1"
                               : "";
  }
  if (!firmware.empty()) {
    assign(firmware_, std::move(firmware), result.changed);
  }
  if (!model.empty()) {
    assign(model_, std::move(model), result.changed);
  }
}

std::optional<std::string> PrinterState::filename() const {
  // The 3MF the printer prints: its own name when gcode_file names it, else the job name the slicer
  // gave (Bambu Studio names the file after it), else the G-code path inside the 3MF.
  std::string base = basename(gcode_file_);
  auto ends3mf = [](const std::string& name) {
    return name.size() > 4 &&
           (name.compare(name.size() - 4, 4, ".3mf") == 0 || name.compare(name.size() - 4, 4, ".3MF") == 0);
  };
  if (ends3mf(base)) {
    return base;
  }
  if (!subtask_name_.empty()) {
    return ends3mf(subtask_name_) ? subtask_name_ : subtask_name_ + ".3mf";
  }
  if (!base.empty()) {
    return base;
  }
  return std::nullopt;
}

std::optional<int> PrinterState::plate() const {
  // "/data/Metadata/plate_2.gcode" (a 3MF's plate) names the plate being printed.
  static const std::string kPrefix = "Metadata/plate_";
  std::size_t at = gcode_file_.rfind(kPrefix);
  if (at == std::string::npos) {
    return std::nullopt;
  }
  std::size_t digits = at + kPrefix.size();
  std::size_t end = gcode_file_.find(".gcode", digits);
  if (end == std::string::npos || end == digits || end - digits > 2 ||
      gcode_file_.find_first_not_of("0123456789", digits) != end) {
    return std::nullopt;
  }
  int plate = std::stoi(gcode_file_.substr(digits, end - digits));
  return plate >= 1 && plate <= 64 ? std::optional<int>(plate) : std::nullopt;
}

std::optional<std::string> PrinterState::jobId() const {
  // Local prints carry "0" (or "") in every id.
  for (const std::string* id : {&subtask_id_, &task_id_, &project_id_}) {
    if (!id->empty() && *id != "0") {
      return *id;
    }
  }
  return std::nullopt;
}

json PrinterState::errorObject(const HmsError& error) const {
  return {{"code", error.code},
          {"severity", severityName(error.severity)},
          {"module", error.module},
          {"message", errorMessage(error, *table_, model_)}};
}

json PrinterState::status(bool connected, const std::string& connection_error) const {
  const bool live = connected && activity_ != Activity::Unknown;
  json s = json::object();
  s["connected"] = live;
  s["state"] = live ? activityName(activity_) : "offline";
  if (percent_) {
    s["progress"] = *percent_;
  }
  s["remaining_time"] = live && isActive(activity_) && remaining_min_ ? json(*remaining_min_ * 60) : json();
  json temps = json::object();
  if (live) {
    auto put = [&](const char* name, const std::optional<double>& t) {
      if (t) {
        temps[name] = *t;
      }
    };
    put("nozzle", nozzle_);
    put("nozzle_target", nozzle_target_);
    put("bed", bed_);
    put("bed_target", bed_target_);
    // P1 and A1 printers have no chamber sensor and always send 5.
    if (model_ != "P1P" && model_ != "P1S" && model_ != "A1" && model_ != "A1 mini") {
      put("chamber", chamber_);
    }
  }
  s["temperatures"] = std::move(temps);
  s["layer"] = layer_ ? json(*layer_) : json();
  s["total_layers"] = total_layers_ ? json(*total_layers_) : json();
  std::optional<std::string> name = filename();
  if (name) {
    json print = {{"filename", *name}};
    if (!subtask_name_.empty()) {
      print["name"] = subtask_name_;
    }
    if (std::optional<std::string> id = jobId()) {
      print["job_id"] = *id;
    }
    if (std::optional<int> n = plate()) {
      print["plate"] = *n;
    }
    s["current_print"] = std::move(print);
  } else {
    s["current_print"] = nullptr;
  }
  // H2C reports a cancel only in fail_reason; it counts while the job shows as failed.
  uint32_t code = print_error_ != 0 ? print_error_ : activity_ == Activity::Failed ? fail_reason_ : 0;
  json errors = json::array();
  json notices = json::array();
  if (live) {
    // The print_error comes first: it is why the job stopped or paused, and the core takes the
    // first error's message for print_failed.
    if (code != 0) {
      HmsError e = decodePrintError(code);
      (reachesThreshold(e.severity, error_min_severity_) ? errors : notices).push_back(errorObject(e));
    }
    for (const HmsError& e : errors_) {
      (reachesThreshold(e.severity, error_min_severity_) ? errors : notices).push_back(errorObject(e));
    }
  }
  s["errors"] = std::move(errors);
  s["notices"] = std::move(notices);
  s["end_reason"] = live && !end_reason_.empty() ? json(end_reason_) : json();
  s["print_error"] = live && code != 0 ? json(formatPrintError(code)) : json();
  if (!model_.empty()) {
    s["model"] = model_;
  }
  if (!firmware_.empty()) {
    s["firmware"] = firmware_;
  }
  if (live) {
    s["connection_error"] = nullptr;
  } else {
    s["connection_error"] = connected ? "connected; waiting for the printer's first status report"
                            : connection_error.empty() ? "not connected"
                                                       : connection_error;
  }
  return s;
}

} // namespace bambuddy::printer_bambu
