// The simulated printer itself: a state machine on a simulated clock, without threads or I/O.
// SimDriver owns one, moves its clock from a thread and turns status() into reports; tests drive
// it directly with exact time steps.
#pragma once

#include "sim_settings.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bambuddy::printer_sim {

enum class PrintState { Idle, Preparing, Printing, Paused, Finished, Failed };

// The state's name in the normalized status ("idle", "preparing", ...).
const char* stateName(PrintState state);

// One active printer error as the status reports it.
struct HmsError {
  std::string code; // "0300_4000_0002_0001"
  std::string severity;
  std::string module;
  std::string message;
};

inline constexpr double kPrepareS = 12.0;          // heating (and, on a real printer, levelling)
inline constexpr double kAmbientC = 25.0;          // where temperatures start and cool down to
inline constexpr double kNozzleCoolingCPerS = 2.0; // after a print ends
inline constexpr double kBedCoolingCPerS = 0.5;
inline constexpr double kSecondsPerLayer = 12.0;                 // total_layers = duration / this, 1..2000
inline constexpr double kFilamentGPerS = 0.004;                  // about 14 g per printed hour
inline constexpr const char* kCancelledPrintError = "0300_400C"; // what a Bambu printer says on stop
inline constexpr const char* kDefaultFailPrintError = "0300_4001";
inline constexpr size_t kMaxErrors = 32;

class SimPrinter {
public:
  // `job_id_base` makes job ids unique across restarts of the simulation (e.g. the start time).
  SimPrinter(SimSettings settings, std::string job_id_base);

  // Moves the clock forward by at most `budget_s` simulated seconds, stopping right after the
  // first state change, and subtracts the time used from `budget_s`. True when the state changed
  // (the caller reports that state before advancing again, so no state is ever skipped).
  bool advance(double& budget_s);

  // Commands. Each throws sdk::Error(BB_ERR_CONFLICT, "state_conflict") naming the current state
  // when it does not fit. startPrint returns the new job id; `duration_s` defaults to
  // print_time_s.
  std::string startPrint(const std::string& filename, std::optional<double> duration_s);
  void pause();
  void resume();
  void stop();                               // failed, end_reason "cancelled"
  void fail(const std::string& print_error); // failed, end_reason "error"
  void addError(const HmsError& error);      // replaces an active error with the same code
  size_t clearErrors();                      // returns how many were active

  PrintState state() const { return state_; }
  size_t errorCount() const { return errors_.size(); }
  // The normalized status of this printer as if connected (docs/printers.md).
  nlohmann::json status() const;

private:
  struct Job {
    std::string filename;
    std::string job_id;
    double duration_s = 0;
    int64_t total_layers = 1;
    bool printing_began = false; // left preparing; layer counts from 1
  };

  void beginJob(const std::string& filename, double duration_s);
  void endJob(PrintState final_state);
  bool autoPrintDue() const;
  void heat();             // preparing: temperatures follow prepare time toward the targets
  void cool(double dt_s);  // no print: temperatures drift to ambient
  double fraction() const; // printed share of the current job, 0..1
  // Throws the state conflict "cannot <action>: the printer is <state> (job ...); <rule>".
  void requireState(bool allowed, const char* action, const char* rule) const;

  SimSettings settings_;
  std::string job_id_base_;
  uint64_t job_seq_ = 0;
  int64_t auto_prints_ = 0;

  PrintState state_ = PrintState::Idle;
  std::optional<Job> job_;
  double elapsed_s_ = 0;  // printing time of the job
  double prepare_s_ = 0;  // time spent preparing
  double in_state_s_ = 0; // since the last state change (auto_print counts idle time with it)

  double nozzle_c_ = kAmbientC;
  double bed_c_ = kAmbientC;
  double nozzle_target_c_ = 0;
  double bed_target_c_ = 0;
  double nozzle_from_c_ = kAmbientC; // temperatures when preparing began
  double bed_from_c_ = kAmbientC;

  std::optional<std::string> end_reason_;
  std::optional<std::string> print_error_;
  std::vector<HmsError> errors_;
};

} // namespace bambuddy::printer_sim
