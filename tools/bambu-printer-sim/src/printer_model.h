// One simulated printer without any networking: its `print` state (started from a captured full
// report), a job that moves IDLE -> PREPARE -> RUNNING -> FINISH over simulated time, the
// printer-side reactions to pause/resume/stop, and the reports a subscriber sees: full reports
// (msg 0) and deltas (msg 1) holding only the fields changed since the previous report.
#pragma once

#include "fixtures.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <random>
#include <string>

namespace bambusim {

struct JobSpec {
  std::string filename;
  double duration_s = 60; // PREPARE + RUNNING, real seconds
  int total_layers = 50;
  double prepare_s = -1; // < 0: 10 % of the duration, at most 30 s
  // Reported as gcode_file / subtask_name; empty: `filename` and its name without the suffix.
  std::string gcode_file;
  std::string subtask_name;
  // Printed seconds per real second (1 / --time-scale for jobs from a 3MF): remaining minutes
  // are reported in printed time, so a 2 h plate run in 7 s still says 120 minutes at the start.
  double report_scale = 1;
  std::optional<bool> timelapse;       // ipcam.timelapse "enable"/"disable" while the job runs
  std::optional<std::string> tray_now; // ams.tray_now while the job runs ("0".."15", "254" external)
};

// Bambu error codes used by the simulator.
constexpr uint32_t kPrintErrorCancelled = 50348044; // 0x0300400C "The task was canceled."
constexpr uint32_t kPrintErrorDefault = 83918908;   // 0x0500803C, a P2S error pause

class PrinterModel {
public:
  PrinterModel(std::string serial, const FixtureSet& fixtures, int64_t now_ms);

  const std::string& serial() const { return serial_; }
  std::string gcodeState() const;
  // PREPARE, RUNNING or PAUSE: a new job is refused.
  bool busy() const;

  // Reports (the whole MQTT payload). Both mark the current state as known to subscribers.
  // `wall_ms` (UTC epoch ms) goes into "_sim_sent_ms" so a consumer can measure latency.
  nlohmann::json fullReport(int64_t wall_ms);
  // Only the fields that changed since the last report; nullopt when none did.
  std::optional<nlohmann::json> deltaReport(int64_t wall_ms);
  nlohmann::json versionReply(const nlohmann::json& sequence_id) const;

  // Moves the job along to `now_ms` (steady clock). True when gcode_state changed, which a
  // printer reports at once rather than with the next periodic delta.
  bool advance(int64_t now_ms);
  // Temperatures move towards their targets, Wi-Fi signal jitters: once per report period.
  void drift(int64_t now_ms);
  // When advance() will next change gcode_state (INT64_MAX when no job runs).
  int64_t nextPhaseChangeMs() const;

  // Each returns an empty string when applied, else why not (the state is unchanged then).
  std::string startJob(const JobSpec& job, int64_t now_ms);
  std::string pause(int64_t now_ms, uint32_t print_error = 0); // print_error != 0: the printer paused itself
  std::string resume(int64_t now_ms);
  std::string stop(int64_t now_ms);
  std::string fail(int64_t now_ms, uint32_t print_error);
  void addHms(uint32_t attr, uint32_t code);
  void clearHms();
  // --trace: writes `layer` into layer_num (and the "3D" copy) so the next report carries it.
  void setTraceLayer(int layer) { setLayers(layer); }

private:
  enum class Phase { Idle, Prepare, Running, Paused, Finished, Failed };

  void enterPhase(Phase phase, int64_t now_ms);
  void updateProgress(int64_t now_ms);
  double runningElapsedS(int64_t now_ms) const;
  void setLayers(int layer);
  void setIfPresent(const char* key, const nlohmann::json& value);
  void finishJob(Phase phase, uint32_t print_error, int64_t now_ms);
  void applyJobOptions();   // the job's timelapse / tray_now, remembering the idle values
  void restoreJobOptions(); // puts the idle values back when the job ends
  std::string nextSequenceId();

  std::string serial_;
  nlohmann::json state_;     // the printer's current `print` object (no envelope keys)
  nlohmann::json published_; // the state as of the last report
  nlohmann::json info_;      // the get_version reply
  uint64_t sequence_ = 0;
  std::minstd_rand rng_;

  Phase phase_ = Phase::Idle;
  JobSpec job_;
  int64_t prepare_end_ms_ = 0;
  int64_t prepare_left_ms_ = 0;  // while paused during PREPARE
  int64_t running_since_ms_ = 0; // when the current RUNNING stretch began
  double running_before_s_ = 0;  // RUNNING time before the last pause
  Phase paused_from_ = Phase::Running;
  int64_t last_drift_ms_ = 0;
  nlohmann::json idle_stg_cur_;
  // What a job's options overrode, put back when it ends (null: nothing overridden).
  nlohmann::json idle_timelapse_;
  nlohmann::json idle_tray_now_;
};

} // namespace bambusim
