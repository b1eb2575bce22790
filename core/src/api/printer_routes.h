// /api/v1/printers: the printer list, details and live status, management (admin) and print
// control (printers:control, control rate class).
#pragma once

#include "http/http_types.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

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
namespace bambuddy::printing {
class PrintStarter;
}

namespace bambuddy::api {

struct PrinterRouteServices {
  printing::PrintStarter* starter = nullptr;    // null: print/start answers 503
  auth::AuditLog* audit = nullptr;              // records creating, changing, removing, checking
  printers::ConnectionChecks* checks = nullptr; // null: no check routes
  std::function<void()> plate_cleared;          // after POST /printers/{id}/plate-cleared (wakes the queue)
  // Several server instances: the answer of an operation (api/printer_operations.h) on a printer
  // another instance connects, relayed to it; nullopt = run it here.
  std::function<std::optional<http::Response>(int64_t printer_id, const std::string& kind,
                                              const nlohmann::json& request)>
      relay;
};

void addPrinterRoutes(http::Router& router, printers::PrinterRegistry& registry,
                      PrinterRouteServices services = {});

} // namespace bambuddy::api
