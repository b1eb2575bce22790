// What a printer does with a message on device/<serial>/request: pushall, get_version, the print
// commands (pause, resume, stop, project_file) and an acknowledgement for everything else.
#pragma once

#include "printer_model.h"
#include "project_job.h"
#include "storage.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace bambusim {

struct RequestOutcome {
  std::string command;                 // for the `request` event line: "pause", "pushall", ..., "invalid"
  std::vector<nlohmann::json> replies; // acks and the get_version reply, in order
  bool send_full_report = false;       // pushall
  bool state_changed = false;          // publish a delta at once
  // project_file with a storage: the stdout event after the serial, e.g.
  // "SUCCESS /cache/a.3mf plate=1 ..." or "FAIL <reason>"; empty otherwise.
  std::string project_file_event;
};

struct RequestContext {
  double job_duration_s = 60;              // project_file without a storage
  JobTiming timing;                        // project_file of a stored 3MF
  const PrinterStorage* storage = nullptr; // the printer's storage; null without --storage-dir
};

RequestOutcome handleRequest(PrinterModel& printer, const std::string& payload, int64_t now_ms,
                             const RequestContext& context);

// The stdout event text of a job started from a stored 3MF (after "<verb> <serial> ").
std::string describeProjectJob(const std::string& relative, const ProjectJob& job);

} // namespace bambusim
