#include "api/printer_operations.h"

#include "api/json_body.h"
#include "common/service_error.h"
#include "printers/printer_registry.h"
#include "printing/print_starter.h"
#include "printing/start_request.h"

#include <algorithm>
#include <optional>
#include <vector>

namespace bambuddy::api {

namespace {

// How long print/start waits for the print record the lifecycle creates (drivers report the
// start at once; the record follows within milliseconds on the bus thread).
constexpr int64_t kWaitForPrintRecordMs = 2000;

http::Response control(printers::PrinterRegistry& registry, int64_t id, const std::string& action) {
  nlohmann::json result = registry.command(id, {{"action", action}});
  return http::Response::json(
      200, {{"printer_id", id}, {"action", action}, {"accepted", true}, {"result", result}});
}

http::Response printStart(const PrinterOperations& operations, int64_t id, const nlohmann::json& request) {
  printing::StartRequest start = printing::parseStartRequest(request.value("body", nlohmann::json::object()));
  operations.registry->requireStartSupport(id); // 422 before looking at the archive
  if (operations.starter == nullptr) {
    return http::Response::error(503, "archives_unavailable",
                                 "this server has no archive store to print from");
  }
  // A key limited to some printers sees only the archives printed on those (or on none).
  std::optional<std::vector<int64_t>> allowed;
  if (request.contains("printers") && request["printers"].is_array()) {
    allowed = request["printers"].get<std::vector<int64_t>>();
  }
  auto visible = [&allowed](std::optional<int64_t> printer) {
    return !allowed || !printer || std::find(allowed->begin(), allowed->end(), *printer) != allowed->end();
  };
  printing::StartOutcome outcome =
      operations.starter->start(id, start, std::nullopt, visible, kWaitForPrintRecordMs);
  return http::Response::json(202, {{"printer_id", id},
                                    {"action", "start"},
                                    {"accepted", true},
                                    {"archive_id", start.archive_id},
                                    {"plate", outcome.plate},
                                    {"print", operations.starter->printRecord(outcome)},
                                    {"status", operations.registry->status(id)},
                                    {"result", outcome.driver_result}});
}

} // namespace

nlohmann::json operationRequest(const http::Request& request, const std::string& kind) {
  nlohmann::json out = {{"printers", nullptr}};
  if (request.principal && !request.principal->printer_ids.empty()) {
    out["printers"] = request.principal->printer_ids;
  }
  if (kind == operation::kPrintStart) {
    out["body"] = jsonBody(request);
  }
  return out;
}

http::Response runPrinterOperation(const PrinterOperations& operations, int64_t printer_id,
                                   const std::string& kind, const nlohmann::json& request) {
  try {
    if (kind == operation::kPause || kind == operation::kResume || kind == operation::kStop) {
      return control(*operations.registry, printer_id, kind);
    }
    if (kind == operation::kPrintStart) {
      return printStart(operations, printer_id, request);
    }
    if (kind == operation::kPlateCleared) {
      nlohmann::json status = operations.registry->clearPlate(printer_id);
      if (operations.plate_cleared) {
        operations.plate_cleared();
      }
      return http::Response::json(200, status);
    }
    return http::Response::error(400, "unknown_operation", "no printer operation '" + kind + "'");
  } catch (const ServiceError& e) {
    return http::Response::json(e.httpStatus(), e.body());
  }
}

} // namespace bambuddy::api
