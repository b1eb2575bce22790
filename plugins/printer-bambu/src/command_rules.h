// Which printer commands the driver accepts, when, and how they look on the wire.
#pragma once

#include "printer_state.h"

#include <cstdint>
#include <string>

namespace bambuddy::printer_bambu {

enum class PrintAction { Pause, Resume, Stop, StartPrint, FetchPrintFile };

// Parses a command op's JSON ({"action": ...}). Throws sdk::Error: BB_ERR_INVALID_ARGUMENT for
// malformed JSON or a missing action, BB_ERR_UNSUPPORTED for unknown actions. The fields of
// start_print are parsed by parseStartPrint (start_request.h).
PrintAction parseCommand(const std::string& command_json);

// Throws sdk::Error(BB_ERR_CONFLICT, "invalid_state") when `activity` does not allow `action`:
// pause only while printing or preparing, resume only while paused, stop while printing,
// preparing or paused; start_print only when idle, finished or failed (reason "printer_busy").
void checkCommandAllowed(PrintAction action, Activity activity);

const char* actionName(PrintAction action);

// {"print":{"command":"pause","sequence_id":"<n>","param":""}} (OpenBambuAPI, mqtt.md).
std::string printCommandPayload(PrintAction action, uint64_t sequence_id);
// {"pushing":{"command":"pushall","sequence_id":"<n>"}}: asks for a full status report.
std::string pushAllPayload(uint64_t sequence_id);
// {"info":{"command":"get_version","sequence_id":"<n>"}}: asks for firmware and model.
std::string getVersionPayload(uint64_t sequence_id);

// The capabilities op's answer.
std::string capabilitiesJson();

} // namespace bambuddy::printer_bambu
