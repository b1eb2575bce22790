#include "start_status.h"

namespace bambuddy::printer_bambu {

using nlohmann::json;

namespace {

json currentPrint(const StartProgress& start) {
  return {{"filename", start.filename}, {"name", start.name}, {"job_id", start.job_id}};
}

} // namespace

json startingStatus(json base, const StartProgress& start) {
  base["state"] = "preparing";
  base["current_print"] = currentPrint(start);
  // The printer still shows the previous job's numbers; none of them belong to this one.
  base["progress"] = 0;
  base["layer"] = nullptr;
  base["total_layers"] = nullptr;
  base["remaining_time"] = start.estimated_time_s ? json(*start.estimated_time_s) : json();
  base["end_reason"] = nullptr;
  base["print_error"] = nullptr;
  base["transfer"] = {{"phase", start.phase},
                      {"bytes", start.bytes},
                      {"total", start.total},
                      {"file", start.remote_file},
                      {"skipped", start.skipped}};
  return base;
}

json failedStartStatus(json base, const StartProgress& start, const StartFailure& failure) {
  // The driver's own verdict on its job: reported as connected even when the MQTT connection is
  // what failed, or the core would never see the job end.
  base["connected"] = true;
  base["connection_error"] = nullptr;
  base["state"] = "failed";
  base["current_print"] = currentPrint(start);
  base["remaining_time"] = nullptr;
  base["layer"] = nullptr;
  base["total_layers"] = nullptr;
  base.erase("transfer");
  if (failure.cancelled) {
    base["end_reason"] = "cancelled";
    base["print_error"] = nullptr;
    return base;
  }
  base["end_reason"] = "error";
  base["print_error"] = failure.reason;
  // Listed as a notice, not an error: the failed start already fires print_failed (which takes its
  // message from the entry carrying the print_error code); as an error it would also fire
  // printer_error, a second notification for one failure.
  json notices = json::array();
  notices.push_back({{"code", failure.reason},
                     {"severity", "serious"},
                     {"module", "start_print"},
                     {"message", failure.message}});
  if (base.contains("notices") && base["notices"].is_array()) {
    for (json& e : base["notices"]) {
      notices.push_back(std::move(e));
    }
  }
  base["notices"] = std::move(notices);
  return base;
}

void applyAdoptedJob(json& status, const AdoptedJob& job) {
  status["current_print"] = {{"filename", job.filename}, {"name", job.name}, {"job_id", job.job_id}};
}

bool StartWait::finish(ProjectFileOutcome outcome, std::string message) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (done_) {
    return false;
  }
  done_ = true;
  result_ = {outcome, std::move(message), false};
  cv_.notify_all();
  return true;
}

ProjectFileResult StartWait::waitFor(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!cv_.wait_for(lock, timeout, [&] { return done_; })) {
    return {ProjectFileOutcome::Timeout, "", false};
  }
  return result_;
}

bool StartWait::done() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return done_;
}

} // namespace bambuddy::printer_bambu
