// What a printer does with a message on device/<serial>/request: pushall, get_version, the print
// commands (pause, resume, stop, project_file) and an acknowledgement for everything else.
#pragma once

#include "printer_model.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace bambusim {

struct RequestOutcome {
  std::string command;                 // for the `request` event line: "pause", "pushall", ..., "invalid"
  std::vector<nlohmann::json> replies; // acks and the get_version reply, in order
  bool send_full_report = false;       // pushall
  bool state_changed = false;          // publish a delta at once
};

RequestOutcome handleRequest(PrinterModel& printer, const std::string& payload, int64_t now_ms,
                             double job_duration_s);

} // namespace bambusim
