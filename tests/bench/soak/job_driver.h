// The soak benchmark's printers at work: starts short jobs on every simulated Bambu printer
// (bambu_printer_sim stdin `@<serial> start soak_<n>.3mf <job_s>`), staggered so events flow evenly,
// and starts the next one idle_s after each end. It reads the simulators' `state` lines (with
// --trace they carry the publish time of the report with the new gcode_state) and records the
// lifecycle event each one causes: PREPARE -> print_started, FINISH -> print_complete, FAILED ->
// print_failed. Runs on its own thread.
#pragma once

#include "webhook_tally.h"

#include "support/bambu_sim_process.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace bambuddy::bench {

struct JobPlan {
  int job_s = 60;  // real seconds per job (the simulator's PREPARE is 10 % of it)
  int idle_s = 10; // between a job's end and the next start
};

class JobDriver {
public:
  // printers[i] is on sims[i / printers_per_sim]; ids maps serial -> the server's printer id.
  JobDriver(std::vector<testing::BambuSimProcess*> sims, std::vector<std::string> serials,
            int printers_per_sim, std::map<std::string, int64_t> ids, JobPlan plan);
  ~JobDriver();

  // Starts the first jobs spread over one job cycle, then keeps every printer printing.
  void start();
  // No new jobs from now on; running ones finish.
  void stopStarting();
  // True when no job is running (after stopStarting()).
  bool idle() const;
  void join();

  std::vector<ExpectedEvent> expected() const;
  uint64_t jobsStarted() const { return jobs_started_; }
  uint64_t startRefusals() const { return start_refusals_; }
  uint64_t tracedReports() const { return traced_reports_; } // `sent` lines: periodic reports published
  uint64_t unexpectedStates() const { return unexpected_states_; }

private:
  struct PrinterJob {
    int job = 0;                // the current or last job number
    bool running = false;       // a start was sent and no end seen yet
    int64_t next_start_ms = -1; // steady ms; -1: none planned
  };
  void loop();
  void readLines(int64_t now_ms);
  void onState(const std::string& serial, const std::string& state, int64_t us, int64_t now_ms);

  std::vector<testing::BambuSimProcess*> sims_;
  std::vector<std::string> serials_;
  int printers_per_sim_;
  std::map<std::string, int64_t> ids_;
  std::map<std::string, size_t> index_; // serial -> position
  JobPlan plan_;
  std::vector<PrinterJob> jobs_;
  std::vector<size_t> cursors_; // per simulator: next line to read
  std::atomic<bool> stop_{false};
  std::atomic<bool> starting_{true};
  std::atomic<int> running_{0};
  std::atomic<uint64_t> jobs_started_{0}, start_refusals_{0}, traced_reports_{0}, unexpected_states_{0};
  mutable std::mutex mutex_;
  std::vector<ExpectedEvent> expected_;
  std::thread thread_;
};

} // namespace bambuddy::bench
