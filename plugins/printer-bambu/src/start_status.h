// What the status shows while the driver starts a print (contract D of issue 14), and the wait for
// the printer's answer to project_file. Pure status composition plus one small synchronisation
// object; MqttSession applies them, PrintStarter drives them.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace bambuddy::printer_bambu {

// The start job as the status shows it.
struct StartProgress {
  std::string job_id;
  std::string filename;           // "Benchy.3mf"
  std::string name;               // the job name, "Benchy"
  std::string remote_file;        // "/Benchy.3mf"
  std::string phase = "checking"; // checking | uploading | starting
  uint64_t bytes = 0;
  uint64_t total = 0;
  bool skipped = false; // the same file was on the printer already
  std::optional<int64_t> estimated_time_s;
};

struct StartFailure {
  std::string reason;  // a stable code: ftp_no_space, project_file_failed, ... ("cancelled" for a stop)
  std::string message; // precise words for people
  bool cancelled = false;
};

// A job the driver started, recognised in the printer's later reports by its job name, so that
// current_print keeps the file name and job id the start reported (one job for the core, not two).
struct AdoptedJob {
  std::string match_name; // subtask_name as the printer reports it for this job
  std::string name;
  std::string filename;
  std::string job_id;
  bool ended = false; // the printer left PREPARE/RUNNING/PAUSE once; a new run is a new job
};

// `base` (the printer's own status) while the start runs: state preparing, the start's
// current_print and transfer; the printer's temperatures, errors and identity stay.
nlohmann::json startingStatus(nlohmann::json base, const StartProgress& start);
// The one report of a failed or cancelled start.
nlohmann::json failedStartStatus(nlohmann::json base, const StartProgress& start,
                                 const StartFailure& failure);
// current_print of an adopted job.
void applyAdoptedJob(nlohmann::json& status, const AdoptedJob& job);

enum class ProjectFileOutcome {
  Started,      // the printer began preparing or printing the job
  Refused,      // the printer answered FAIL (message: its reason)
  Busy,         // the printer was no longer idle when project_file was due
  Timeout,      // no answer, or no PREPARE/RUNNING, in time
  Disconnected, // the MQTT connection was down or lost
  Cancelled,    // stop, or the driver stopping
};

struct ProjectFileResult {
  ProjectFileOutcome outcome = ProjectFileOutcome::Timeout;
  std::string message;
  bool sent = false; // project_file was published
};

// One start's wait for the printer. finish() from any thread; the first verdict wins.
class StartWait {
public:
  bool finish(ProjectFileOutcome outcome, std::string message);
  // The verdict, or Timeout when none came within `timeout`.
  ProjectFileResult waitFor(std::chrono::milliseconds timeout);
  bool done() const;

private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  ProjectFileResult result_;
};

} // namespace bambuddy::printer_bambu
