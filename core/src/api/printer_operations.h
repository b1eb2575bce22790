// The printer operations that only the server instance connected to the printer can carry out:
// print control (pause, resume, stop), starting a print, confirming the plate clear. Each is a
// function from a request (JSON) to the HTTP answer, so a route runs it here or, with several
// instances on one database, relays it to the instance that connects the printer
// (cluster/command_relay.h), which runs the same function: the client gets the same answer either way.
#pragma once

#include "http/http_types.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace bambuddy::printers {
class PrinterRegistry;
}
namespace bambuddy::printing {
class PrintStarter;
}

namespace bambuddy::api {

namespace operation {
inline constexpr const char* kPause = "pause";
inline constexpr const char* kResume = "resume";
inline constexpr const char* kStop = "stop";
inline constexpr const char* kPrintStart = "print_start";
inline constexpr const char* kPlateCleared = "plate_cleared";
} // namespace operation

struct PrinterOperations {
  printers::PrinterRegistry* registry = nullptr;
  printing::PrintStarter* starter = nullptr; // null: print_start answers 503
  std::function<void()> plate_cleared;       // after plate_cleared (wakes the queue)
};

// The operation's request as a route has it: {"printers": null or the key's printer ids} and, for
// print_start, {"body": the admitted request body}.
nlohmann::json operationRequest(const http::Request& request, const std::string& kind);

// Runs `kind` on `printer_id` (whose visibility to the key the route has checked) and returns the
// answer; errors become their HTTP answers, never exceptions (the unknown kind is a 400).
http::Response runPrinterOperation(const PrinterOperations& operations, int64_t printer_id,
                                   const std::string& kind, const nlohmann::json& request);

} // namespace bambuddy::api
