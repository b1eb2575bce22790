#include "printer_model.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace bambusim {
namespace {

constexpr double kAmbientC = 25.0;
constexpr double kBedTargetC = 55.0;
constexpr double kNozzleTargetC = 220.0;
constexpr double kHeatTimeConstantS = 20.0;

// P1/A1 firmware reports temperatures in 1/32 °C steps; the others accept the same values.
double quantize(double celsius) {
  return std::round(celsius * 32.0) / 32.0;
}

int minutesLeft(double seconds) {
  return seconds <= 0 ? 0 : static_cast<int>(std::ceil(seconds / 60.0));
}

std::string stripProjectSuffix(const std::string& filename) {
  for (const char* suffix : {".gcode.3mf", ".3mf", ".gcode"}) {
    std::string s = suffix;
    if (filename.size() > s.size() && filename.compare(filename.size() - s.size(), s.size(), s) == 0) {
      return filename.substr(0, filename.size() - s.size());
    }
  }
  return filename;
}

} // namespace

PrinterModel::PrinterModel(std::string serial, const FixtureSet& fixtures, int64_t now_ms)
    : serial_(std::move(serial)), state_(fixtures.print), info_(fixtures.info),
      rng_(static_cast<std::minstd_rand::result_type>(std::hash<std::string>{}(serial_) | 1U)) {
  // The envelope keys are set per report, never kept in the state.
  std::string first_sequence = state_.value("sequence_id", std::string("0"));
  for (const char* key : {"command", "msg", "sequence_id"}) {
    state_.erase(key);
  }
  try {
    sequence_ = std::stoull(first_sequence);
  } catch (const std::exception&) {
    sequence_ = 0;
  }
  if (state_.contains("upgrade_state") && state_["upgrade_state"].is_object()) {
    state_["upgrade_state"]["sn"] = serial_;
  }
  if (info_.contains("module") && info_["module"].is_array()) {
    for (auto& module : info_["module"]) {
      if (module.is_object() && module.value("name", std::string()) == "ota") {
        module["sn"] = serial_; // the printer's own serial number
      }
    }
  }
  idle_stg_cur_ = state_.value("stg_cur", nlohmann::json(-1));
  state_["gcode_state"] = "IDLE";
  state_["print_error"] = 0;
  state_["hms"] = nlohmann::json::array();
  for (const char* key : {"bed_temper", "nozzle_temper"}) {
    if (!state_.contains(key) || !state_[key].is_number()) {
      state_[key] = kAmbientC;
    }
  }
  for (const char* key : {"bed_target_temper", "nozzle_target_temper"}) {
    state_[key] = 0;
  }
  last_drift_ms_ = now_ms;
}

std::string PrinterModel::gcodeState() const {
  return state_.value("gcode_state", std::string());
}

bool PrinterModel::busy() const {
  return phase_ == Phase::Prepare || phase_ == Phase::Running || phase_ == Phase::Paused;
}

std::string PrinterModel::nextSequenceId() {
  return std::to_string(++sequence_);
}

nlohmann::json PrinterModel::fullReport(int64_t wall_ms) {
  nlohmann::json print = state_;
  print["command"] = "push_status";
  print["msg"] = 0;
  print["sequence_id"] = nextSequenceId();
  print["_sim_sent_ms"] = wall_ms;
  published_ = state_;
  return nlohmann::json{{"print", std::move(print)}};
}

std::optional<nlohmann::json> PrinterModel::deltaReport(int64_t wall_ms) {
  nlohmann::json print = nlohmann::json::object();
  for (const auto& [key, value] : state_.items()) {
    auto known = published_.find(key);
    if (known == published_.end()) {
      print[key] = value;
      published_[key] = value;
    } else if (*known != value) {
      print[key] = value;
      *known = value; // only what changed is copied: a whole-state copy per report is costly
    }
  }
  if (print.empty()) {
    return std::nullopt;
  }
  print["command"] = "push_status";
  print["msg"] = 1;
  print["sequence_id"] = nextSequenceId();
  print["_sim_sent_ms"] = wall_ms;
  return nlohmann::json{{"print", std::move(print)}};
}

void PrinterModel::setIfPresent(const char* key, const nlohmann::json& value) {
  // Fields only newer firmware sends stay absent for models whose capture lacks them.
  if (state_.contains(key)) {
    state_[key] = value;
  }
}

void PrinterModel::setLayers(int layer) {
  state_["layer_num"] = layer;
  // X1 firmware 1.12 repeats the layer counters in a "3D" object.
  auto three_d = state_.find("3D");
  if (three_d != state_.end() && three_d->is_object()) {
    (*three_d)["layer_num"] = layer;
    (*three_d)["total_layer_num"] = state_["total_layer_num"];
  }
}

double PrinterModel::runningElapsedS(int64_t now_ms) const {
  double total = running_before_s_;
  if (phase_ == Phase::Running) {
    total += static_cast<double>(now_ms - running_since_ms_) / 1000.0;
  }
  return total;
}

void PrinterModel::updateProgress(int64_t now_ms) {
  const double prepare_s = job_.prepare_s;
  const double run_s = std::max(0.001, job_.duration_s - prepare_s);
  double left_s = 0;
  int percent = 0;
  int layer = 0;
  if (phase_ == Phase::Prepare) {
    left_s = run_s + static_cast<double>(prepare_end_ms_ - now_ms) / 1000.0;
  } else {
    const double elapsed = std::min(run_s, runningElapsedS(now_ms));
    const double fraction = elapsed / run_s;
    left_s = run_s - elapsed;
    percent = std::min(99, static_cast<int>(fraction * 100.0));
    layer = std::min(job_.total_layers, 1 + static_cast<int>(fraction * job_.total_layers));
  }
  const int minutes = minutesLeft(left_s * job_.report_scale);
  state_["mc_percent"] = percent;
  state_["mc_remaining_time"] = minutes;
  setLayers(layer);
  setIfPresent("percent", percent);
  setIfPresent("remain_time", minutes);
}

void PrinterModel::enterPhase(Phase phase, int64_t now_ms) {
  phase_ = phase;
  switch (phase) {
  case Phase::Prepare:
    state_["gcode_state"] = "PREPARE";
    state_["mc_print_stage"] = "1";
    state_["stg_cur"] = 2; // heatbed preheating
    state_["bed_target_temper"] = kBedTargetC;
    state_["nozzle_target_temper"] = kNozzleTargetC;
    break;
  case Phase::Running:
    running_since_ms_ = now_ms;
    state_["gcode_state"] = "RUNNING";
    state_["mc_print_stage"] = "2";
    state_["stg_cur"] = 0; // printing
    state_["bed_target_temper"] = kBedTargetC;
    state_["nozzle_target_temper"] = kNozzleTargetC;
    break;
  case Phase::Paused:
    state_["gcode_state"] = "PAUSE";
    state_["mc_print_stage"] = "3";
    break;
  case Phase::Finished:
    state_["gcode_state"] = "FINISH";
    state_["mc_print_stage"] = "1";
    break;
  case Phase::Failed:
    state_["gcode_state"] = "FAILED";
    state_["mc_print_stage"] = "1";
    break;
  case Phase::Idle:
    state_["gcode_state"] = "IDLE";
    state_["mc_print_stage"] = "1";
    break;
  }
  if (phase == Phase::Finished || phase == Phase::Failed || phase == Phase::Idle) {
    state_["stg_cur"] = idle_stg_cur_;
    state_["bed_target_temper"] = 0;
    state_["nozzle_target_temper"] = 0;
    restoreJobOptions();
  }
}

bool PrinterModel::advance(int64_t now_ms) {
  if (phase_ == Phase::Prepare && now_ms >= prepare_end_ms_) {
    enterPhase(Phase::Running, now_ms);
    updateProgress(now_ms);
    return true;
  }
  if (phase_ == Phase::Running) {
    const double run_s = std::max(0.001, job_.duration_s - job_.prepare_s);
    if (runningElapsedS(now_ms) >= run_s) {
      finishJob(Phase::Finished, 0, now_ms);
      return true;
    }
    updateProgress(now_ms);
  }
  return false;
}

int64_t PrinterModel::nextPhaseChangeMs() const {
  if (phase_ == Phase::Prepare) {
    return prepare_end_ms_;
  }
  if (phase_ == Phase::Running) {
    const double run_s = std::max(0.001, job_.duration_s - job_.prepare_s);
    const double left_s = run_s - running_before_s_;
    return running_since_ms_ + static_cast<int64_t>(std::ceil(left_s * 1000.0));
  }
  return std::numeric_limits<int64_t>::max();
}

void PrinterModel::drift(int64_t now_ms) {
  const double dt_s = std::max(0.0, static_cast<double>(now_ms - last_drift_ms_) / 1000.0);
  last_drift_ms_ = now_ms;
  const double approach = 1.0 - std::exp(-dt_s / kHeatTimeConstantS);
  std::uniform_int_distribution<int> jitter(-1, 1);
  for (auto [current, target] : {std::pair<const char*, const char*>{"bed_temper", "bed_target_temper"},
                                 {"nozzle_temper", "nozzle_target_temper"}}) {
    const double goal = state_[target].get<double>() > 0 ? state_[target].get<double>() : kAmbientC;
    double value = state_[current].get<double>();
    value += (goal - value) * approach + jitter(rng_) / 32.0;
    state_[current] = quantize(value);
  }
  if (state_.contains("wifi_signal")) {
    std::uniform_int_distribution<int> dbm(-52, -44);
    state_["wifi_signal"] = std::to_string(dbm(rng_)) + "dBm";
  }
}

std::string PrinterModel::startJob(const JobSpec& job, int64_t now_ms) {
  if (busy()) {
    return "busy (" + gcodeState() + ")";
  }
  if (job.filename.empty()) {
    return "no file name";
  }
  if (!(job.duration_s > 0) || job.total_layers < 1 || !(job.report_scale > 0)) {
    return "the duration and the layer count must be positive";
  }
  job_ = job;
  if (job_.prepare_s < 0) {
    job_.prepare_s = std::min(30.0, job_.duration_s * 0.1);
  }
  job_.prepare_s = std::min(job_.prepare_s, job_.duration_s * 0.9);
  running_before_s_ = 0;
  prepare_end_ms_ = now_ms + static_cast<int64_t>(job_.prepare_s * 1000.0);

  // A new job id, as the printer assigns one per job (Bambu: task_id/subtask_id).
  const std::string job_id = std::to_string(now_ms) + std::to_string(sequence_ % 1000);
  state_["gcode_file"] = job_.gcode_file.empty() ? job_.filename : job_.gcode_file;
  state_["subtask_name"] = job_.subtask_name.empty() ? stripProjectSuffix(job_.filename) : job_.subtask_name;
  state_["task_id"] = job_id;
  state_["subtask_id"] = job_id;
  state_["print_type"] = "local";
  state_["print_error"] = 0;
  setIfPresent("mc_print_error_code", "0");
  state_["total_layer_num"] = job_.total_layers;
  setLayers(0);
  state_["hms"] = nlohmann::json::array();
  applyJobOptions();
  enterPhase(Phase::Prepare, now_ms);
  updateProgress(now_ms);
  return {};
}

void PrinterModel::applyJobOptions() {
  // Only fields the model's capture has: a printer without a camera reports no ipcam object.
  auto ipcam = state_.find("ipcam");
  if (job_.timelapse && ipcam != state_.end() && ipcam->is_object() && ipcam->contains("timelapse")) {
    idle_timelapse_ = (*ipcam)["timelapse"];
    (*ipcam)["timelapse"] = *job_.timelapse ? "enable" : "disable";
  }
  auto ams = state_.find("ams");
  if (job_.tray_now && ams != state_.end() && ams->is_object() && ams->contains("tray_now")) {
    idle_tray_now_ = (*ams)["tray_now"];
    (*ams)["tray_now"] = *job_.tray_now;
  }
}

void PrinterModel::restoreJobOptions() {
  if (!idle_timelapse_.is_null()) {
    state_["ipcam"]["timelapse"] = idle_timelapse_;
    idle_timelapse_ = nullptr;
  }
  if (!idle_tray_now_.is_null()) {
    state_["ams"]["tray_now"] = idle_tray_now_;
    idle_tray_now_ = nullptr;
  }
}

std::string PrinterModel::pause(int64_t now_ms, uint32_t print_error) {
  if (phase_ != Phase::Running && phase_ != Phase::Prepare) {
    return "nothing to pause (" + gcodeState() + ")";
  }
  updateProgress(now_ms);
  if (phase_ == Phase::Running) {
    running_before_s_ = runningElapsedS(now_ms);
  } else {
    // Keep how much preparation is left; resume() restarts the clock from there.
    prepare_left_ms_ = std::max<int64_t>(0, prepare_end_ms_ - now_ms);
  }
  paused_from_ = phase_;
  enterPhase(Phase::Paused, now_ms);
  if (print_error != 0) {
    state_["print_error"] = print_error;
  }
  return {};
}

std::string PrinterModel::resume(int64_t now_ms) {
  if (phase_ != Phase::Paused) {
    return "not paused (" + gcodeState() + ")";
  }
  state_["print_error"] = 0;
  if (paused_from_ == Phase::Prepare) {
    prepare_end_ms_ = now_ms + prepare_left_ms_;
    enterPhase(Phase::Prepare, now_ms);
  } else {
    enterPhase(Phase::Running, now_ms);
  }
  updateProgress(now_ms);
  return {};
}

void PrinterModel::finishJob(Phase phase, uint32_t print_error, int64_t now_ms) {
  if (phase == Phase::Finished) {
    state_["mc_percent"] = 100;
    state_["mc_remaining_time"] = 0;
    setLayers(job_.total_layers);
    setIfPresent("percent", 100);
    setIfPresent("remain_time", 0);
  } else {
    // FAILED keeps the progress and remaining time the job had at that moment (a P1P capture
    // shows that); the simulator updates progress only when a report is due, so catch up first.
    if (phase_ == Phase::Running || phase_ == Phase::Prepare) {
      updateProgress(now_ms);
    }
    if (phase_ == Phase::Running) {
      running_before_s_ = runningElapsedS(now_ms);
    }
  }
  state_["print_error"] = print_error;
  if (print_error == kPrintErrorCancelled) {
    setIfPresent("mc_print_error_code", "16396"); // 0x400C, as the P2S reported it
  }
  enterPhase(phase, now_ms);
}

std::string PrinterModel::stop(int64_t now_ms) {
  if (phase_ != Phase::Running && phase_ != Phase::Prepare && phase_ != Phase::Paused) {
    return "nothing to stop (" + gcodeState() + ")";
  }
  finishJob(Phase::Failed, kPrintErrorCancelled, now_ms);
  return {};
}

std::string PrinterModel::fail(int64_t now_ms, uint32_t print_error) {
  if (phase_ != Phase::Running && phase_ != Phase::Prepare && phase_ != Phase::Paused) {
    return "no job to fail (" + gcodeState() + ")";
  }
  finishJob(Phase::Failed, print_error, now_ms);
  return {};
}

void PrinterModel::addHms(uint32_t attr, uint32_t code) {
  state_["hms"].push_back({{"attr", attr}, {"code", code}});
}

void PrinterModel::clearHms() {
  state_["hms"] = nlohmann::json::array();
}

nlohmann::json PrinterModel::versionReply(const nlohmann::json& sequence_id) const {
  nlohmann::json info = info_;
  info["command"] = "get_version";
  info["sequence_id"] = sequence_id;
  return nlohmann::json{{"info", std::move(info)}};
}

} // namespace bambusim
