// The driver's command JSON ({"action": ...}) parsed and checked, before any state is touched.
#pragma once

#include "sim_printer.h"

#include <optional>
#include <string>
#include <string_view>

namespace bambuddy::printer_sim {

enum class Action {
  Pause,
  Resume,
  Stop,
  StartPrint,
  // Test and demo hooks: they steer the simulation rather than the printer.
  SimFail,
  SimHms,
  SimClearErrors,
  SimOffline,
  SimOnline
};

struct SimCommand {
  Action action = Action::Pause;
  std::string filename;             // start_print
  std::optional<double> duration_s; // start_print: estimated_time_s
  std::string print_error;          // sim_fail, "XXXX_XXXX"
  HmsError error;                   // sim_hms
};

// The action's wire name, e.g. "start_print".
const char* actionName(Action action);

// The printer commands of the driver contract (pause, resume, stop, start_print), as opposed to
// the sim_* hooks.
bool isPrinterAction(Action action);

// Parses a command. Throws sdk::Error: BB_ERR_INVALID_ARGUMENT ("invalid_command") for text that
// is not a JSON object, a missing action or a bad field (the message names the field);
// BB_ERR_UNSUPPORTED ("unsupported_action") for an unknown action, listing the known ones.
// Fields a command does not use are ignored (the core may send more, e.g. archive_id).
SimCommand parseCommand(std::string_view command_json);

} // namespace bambuddy::printer_sim
