// /api/v1/printers: the printer list, details and live status, management (admin) and print
// control (printers:control, control rate class).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>

namespace bambuddy::auth {
class AuditLog;
}
namespace bambuddy::http {
class Router;
struct Request;
} // namespace bambuddy::http
namespace bambuddy::printers {
class ConnectionChecks;
class PrinterRegistry;
} // namespace bambuddy::printers

namespace bambuddy::api {

// Turns the body of POST /printers/{id}/print/start into the driver's start_print command
// (filename, estimated time, ...). Throws printers::PrinterError (NotFound for an unknown archive, and
// for one printed on a printer the request's key may not see).
using StartPrintResolver = std::function<nlohmann::json(int64_t printer_id, const nlohmann::json& body,
                                                        const http::Request& request)>;

// Creating, changing, removing and checking printers is recorded in `audit` (may be null).
// `checks` (may be null: no check routes) runs POST /printers/check.
void addPrinterRoutes(http::Router& router, printers::PrinterRegistry& registry, StartPrintResolver resolver,
                      auth::AuditLog* audit = nullptr, printers::ConnectionChecks* checks = nullptr);

} // namespace bambuddy::api
