// The merged state of one Bambu printer and its normalized status (docs/printers.md).
//
// Printers send full reports now and then and deltas in between (P1/A1 mostly deltas), so every
// report is merged into what is known: an absent key means "unchanged". Fields of the wrong type
// or out of range are skipped one by one; the rest of the report still applies, and nothing the
// driver knew is ever lost to a bad message. Pure: no I/O, no clock, no threads (callers lock).
#pragma once

#include "hms.h"
#include "report_parser.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bambuddy::printer_bambu {

// gcode_state, normalized: IDLE, PREPARE/SLICING, RUNNING, PAUSE, FINISH, FAILED.
enum class Activity { Unknown, Idle, Preparing, Printing, Paused, Finished, Failed };

// "idle", "preparing", ...; "" for Unknown.
const char* activityName(Activity activity);

class PrinterState {
public:
  struct Options {
    // HMS entries and print_error codes at least this severe go to `errors`, the rest to `notices`.
    HmsSeverity error_min_severity = HmsSeverity::Serious;
    const HmsTable* table = nullptr; // texts of the codes; nullptr = HmsTable::builtin()
  };

  PrinterState() : PrinterState(Options{}) {}
  explicit PrinterState(Options options);

  struct ApplyResult {
    ParsedReport::Kind kind = ParsedReport::Kind::Invalid;
    bool changed = false;   // something the normalized status shows changed
    int skipped_fields = 0; // fields ignored for a wrong type or value
    std::string problem;    // Invalid: why; else the first skipped field and why
  };

  // Parses one MQTT payload and merges it. Never throws on any input.
  ApplyResult applyPayload(std::string_view payload);
  ApplyResult apply(const ParsedReport& report);

  Activity activity() const { return activity_; }
  bool knowsActivity() const { return activity_ != Activity::Unknown; }
  // The job name the printer reports (subtask_name); "" when none.
  const std::string& subtaskName() const { return subtask_name_; }

  // The normalized status object. While not connected: state "offline" with `connection_error`,
  // keeping only what identifies the last job (progress, layers, current_print) and the printer.
  // `errors` and `notices` hold the print_error code (first) and the HMS entries, split by
  // severity at Options::error_min_severity.
  nlohmann::json status(bool connected, const std::string& connection_error) const;

private:
  void applyPrint(const nlohmann::json& print, bool repaired, ApplyResult& result);
  void applyInfo(const nlohmann::json& info, ApplyResult& result);
  void applyHms(const nlohmann::json& list, ApplyResult& result);
  void updateEndReason(Activity before, ApplyResult& result);
  bool cancelCodeSeen() const;
  std::optional<std::string> filename() const;
  std::optional<std::string> jobId() const;
  std::optional<int> plate() const; // from gcode_file "Metadata/plate_N.gcode"

  nlohmann::json errorObject(const HmsError& error) const;

  HmsSeverity error_min_severity_;
  const HmsTable* table_;
  Activity activity_ = Activity::Unknown;
  std::optional<int64_t> percent_;
  std::optional<int64_t> remaining_min_;
  std::optional<double> nozzle_, nozzle_target_, bed_, bed_target_, chamber_;
  std::optional<int64_t> layer_, total_layers_;
  std::string subtask_name_, gcode_file_, subtask_id_, task_id_, project_id_;
  std::vector<HmsError> errors_;
  uint32_t print_error_ = 0;
  uint32_t fail_reason_ = 0;
  std::string end_reason_; // "" = null
  std::string model_, firmware_;
};

} // namespace bambuddy::printer_bambu
