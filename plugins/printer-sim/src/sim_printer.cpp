#include "sim_printer.h"

#include <bambuddy/sdk.hpp>

#include <algorithm>
#include <cmath>

namespace bambuddy::printer_sim {
namespace {

using nlohmann::json;

// Rounds to 1/`per_unit` (10: one decimal); dividing last gives the double nearest the decimal.
double roundTo(double value, double per_unit) {
  return std::round(value * per_unit) / per_unit;
}

// Moves `value` toward `goal` by at most `max_step`.
double approach(double value, double goal, double max_step) {
  if (value < goal) {
    return std::min(goal, value + max_step);
  }
  return std::max(goal, value - max_step);
}

} // namespace

const char* stateName(PrintState state) {
  switch (state) {
  case PrintState::Idle:
    return "idle";
  case PrintState::Preparing:
    return "preparing";
  case PrintState::Printing:
    return "printing";
  case PrintState::Paused:
    return "paused";
  case PrintState::Finished:
    return "finished";
  case PrintState::Failed:
    return "failed";
  }
  return "idle";
}

SimPrinter::SimPrinter(SimSettings settings, std::string job_id_base)
    : settings_(std::move(settings)), job_id_base_(std::move(job_id_base)) {}

bool SimPrinter::advance(double& budget_s) {
  if (!(budget_s > 0)) {
    budget_s = 0;
    return false;
  }
  switch (state_) {
  case PrintState::Idle:
  case PrintState::Finished:
  case PrintState::Failed: {
    if (autoPrintDue()) {
      double wait_s = std::max(0.0, static_cast<double>(settings_.auto_print->idle_s) - in_state_s_);
      if (budget_s >= wait_s) {
        cool(wait_s);
        budget_s -= wait_s;
        ++auto_prints_;
        beginJob(settings_.auto_print->filename, static_cast<double>(settings_.print_time_s));
        return true;
      }
    }
    cool(budget_s);
    in_state_s_ += budget_s;
    budget_s = 0;
    return false;
  }
  case PrintState::Preparing: {
    double left_s = kPrepareS - prepare_s_;
    if (budget_s >= left_s) {
      budget_s -= left_s;
      prepare_s_ = kPrepareS;
      heat();
      state_ = PrintState::Printing;
      in_state_s_ = 0;
      job_->printing_began = true;
      return true;
    }
    prepare_s_ += budget_s;
    in_state_s_ += budget_s;
    budget_s = 0;
    heat();
    return false;
  }
  case PrintState::Printing: {
    double left_s = job_->duration_s - elapsed_s_;
    if (budget_s >= left_s) {
      budget_s -= left_s;
      elapsed_s_ = job_->duration_s;
      endJob(PrintState::Finished);
      return true;
    }
    elapsed_s_ += budget_s;
    in_state_s_ += budget_s;
    budget_s = 0;
    return false;
  }
  case PrintState::Paused:
    // The print is frozen and the heaters hold their targets.
    in_state_s_ += budget_s;
    budget_s = 0;
    return false;
  }
  return false;
}

std::string SimPrinter::startPrint(const std::string& filename, std::optional<double> duration_s) {
  requireState(state_ == PrintState::Idle || state_ == PrintState::Finished || state_ == PrintState::Failed,
               "start a print", "a print starts when the printer is idle, finished or failed");
  beginJob(filename, duration_s.value_or(static_cast<double>(settings_.print_time_s)));
  return job_->job_id;
}

void SimPrinter::pause() {
  requireState(state_ == PrintState::Printing, "pause", "only a print that is printing can be paused");
  state_ = PrintState::Paused;
  in_state_s_ = 0;
}

void SimPrinter::resume() {
  requireState(state_ == PrintState::Paused, "resume", "only a paused print can be resumed");
  state_ = PrintState::Printing;
  in_state_s_ = 0;
}

void SimPrinter::stop() {
  requireState(state_ == PrintState::Preparing || state_ == PrintState::Printing ||
                   state_ == PrintState::Paused,
               "stop", "there is no print preparing, printing or paused");
  endJob(PrintState::Failed);
  end_reason_ = "cancelled";
  print_error_ = kCancelledPrintError;
}

void SimPrinter::fail(const std::string& print_error) {
  requireState(state_ == PrintState::Preparing || state_ == PrintState::Printing ||
                   state_ == PrintState::Paused,
               "fail the print", "there is no print preparing, printing or paused");
  endJob(PrintState::Failed);
  end_reason_ = "error";
  print_error_ = print_error;
}

void SimPrinter::addError(const HmsError& error) {
  for (HmsError& e : errors_) {
    if (e.code == error.code) {
      e = error;
      return;
    }
  }
  if (errors_.size() >= kMaxErrors) {
    throw sdk::Error(BB_ERR_CONFLICT, "too_many_errors",
                     "the simulated printer already has " + std::to_string(kMaxErrors) +
                         " active errors; send sim_clear_errors first");
  }
  errors_.push_back(error);
}

size_t SimPrinter::clearErrors() {
  size_t n = errors_.size();
  errors_.clear();
  return n;
}

void SimPrinter::requireState(bool allowed, const char* action, const char* rule) const {
  if (allowed) {
    return;
  }
  std::string message = std::string("cannot ") + action + ": the printer is " + stateName(state_);
  if (job_ &&
      (state_ == PrintState::Preparing || state_ == PrintState::Printing || state_ == PrintState::Paused)) {
    message += " (job " + job_->job_id + ", " + job_->filename + ")";
  }
  throw sdk::Error(BB_ERR_CONFLICT, "state_conflict", message + "; " + rule);
}

void SimPrinter::beginJob(const std::string& filename, double duration_s) {
  Job job;
  job.filename = filename;
  job.job_id = job_id_base_ + "-" + std::to_string(++job_seq_);
  job.duration_s = duration_s;
  job.total_layers = std::clamp<int64_t>(std::llround(duration_s / kSecondsPerLayer), 1, 2000);
  job_ = std::move(job);
  state_ = PrintState::Preparing;
  elapsed_s_ = 0;
  prepare_s_ = 0;
  in_state_s_ = 0;
  end_reason_.reset();
  print_error_.reset();
  nozzle_target_c_ = settings_.nozzle_target_c;
  bed_target_c_ = settings_.bed_target_c;
  nozzle_from_c_ = nozzle_c_;
  bed_from_c_ = bed_c_;
}

void SimPrinter::endJob(PrintState final_state) {
  state_ = final_state;
  in_state_s_ = 0;
  nozzle_target_c_ = 0;
  bed_target_c_ = 0;
}

bool SimPrinter::autoPrintDue() const {
  return settings_.auto_print && (settings_.auto_print->repeat || auto_prints_ == 0);
}

void SimPrinter::heat() {
  double f = std::min(1.0, prepare_s_ / kPrepareS);
  nozzle_c_ = nozzle_from_c_ + (nozzle_target_c_ - nozzle_from_c_) * f;
  bed_c_ = bed_from_c_ + (bed_target_c_ - bed_from_c_) * f;
}

void SimPrinter::cool(double dt_s) {
  nozzle_c_ = approach(nozzle_c_, kAmbientC, kNozzleCoolingCPerS * dt_s);
  bed_c_ = approach(bed_c_, kAmbientC, kBedCoolingCPerS * dt_s);
}

double SimPrinter::fraction() const {
  if (!job_ || job_->duration_s <= 0) {
    return 0;
  }
  return std::clamp(elapsed_s_ / job_->duration_s, 0.0, 1.0);
}

json SimPrinter::status() const {
  json s;
  s["connected"] = true;
  s["state"] = stateName(state_);
  // Progress in tenths of a percent, rounded down so it reaches 100 only when the print ends.
  s["progress"] = state_ == PrintState::Finished ? 100.0 : std::floor(fraction() * 1000.0) / 10.0;
  json remaining = nullptr;
  if (job_) {
    switch (state_) {
    case PrintState::Preparing:
    case PrintState::Printing:
    case PrintState::Paused:
      remaining = static_cast<int64_t>(std::ceil(job_->duration_s - elapsed_s_));
      break;
    case PrintState::Finished:
      remaining = 0;
      break;
    default:
      break;
    }
  }
  s["remaining_time"] = remaining;
  s["temperatures"] = {{"nozzle", roundTo(nozzle_c_, 10)},
                       {"nozzle_target", nozzle_target_c_},
                       {"bed", roundTo(bed_c_, 10)},
                       {"bed_target", bed_target_c_},
                       {"chamber", roundTo(kAmbientC + (bed_c_ - kAmbientC) * 0.2, 10)}};
  if (job_) {
    int64_t layer = 0;
    if (state_ == PrintState::Finished) {
      layer = job_->total_layers;
    } else if (job_->printing_began) {
      layer = std::min<int64_t>(job_->total_layers,
                                1 + static_cast<int64_t>(std::floor(fraction() * job_->total_layers)));
    }
    s["layer"] = layer;
    s["total_layers"] = job_->total_layers;
    s["current_print"] = {{"filename", job_->filename}, {"job_id", job_->job_id}};
    s["filament_used"] = roundTo(job_->duration_s * kFilamentGPerS * fraction(), 100);
  } else {
    s["layer"] = nullptr;
    s["total_layers"] = nullptr;
    s["current_print"] = nullptr;
    s["filament_used"] = nullptr;
  }
  json errors = json::array();
  for (const HmsError& e : errors_) {
    errors.push_back(
        {{"code", e.code}, {"severity", e.severity}, {"module", e.module}, {"message", e.message}});
  }
  s["errors"] = std::move(errors);
  s["end_reason"] = end_reason_ ? json(*end_reason_) : json(nullptr);
  s["print_error"] = print_error_ ? json(*print_error_) : json(nullptr);
  s["model"] = settings_.model;
  s["connection_error"] = nullptr;
  return s;
}

} // namespace bambuddy::printer_sim
