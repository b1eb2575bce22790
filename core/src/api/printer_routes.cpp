#include "api/printer_routes.h"

#include "api/body_fragments.h"
#include "api/change_audit.h"
#include "api/json_body.h"
#include "api/pagination.h"
#include "api/printer_operations.h"
#include "api/route_helpers.h"
#include "http/router.h"
#include "printers/connection_checks.h"
#include "printers/printer_registry.h"
#include "printing/print_starter.h"

#include <algorithm>

namespace bambuddy::api {

namespace {

using printers::PrinterError;

// ---- request bodies (checked by the server before the handlers run; served in openapi.json) ----

constexpr std::size_t kMaxNameChars = 100;

nlohmann::json plateClearSchema() {
  return {{"type", {"boolean", "null"}},
          {"description", "wait for POST /printers/{id}/plate-cleared after a print; null = the driver's "
                          "default"}};
}

nlohmann::json settingsSchema(const char* description) {
  return {{"type", "object"}, {"description", description}};
}

std::shared_ptr<const JsonBodySchema> newPrinterBody() {
  return JsonBodySchema::make(
      {{"type", "object"},
       {"additionalProperties", false},
       {"required", {"name", "driver"}},
       {"properties",
        {{"name", nameSchema(kMaxNameChars)},
         {"driver",
          {{"type", "string"},
           {"minLength", 1},
           {"description", "a loaded printer driver plugin"},
           {"examples", {"printer.bambu", "printer.sim"}}}},
         {"settings", settingsSchema("the driver's settings (GET /api/v1/plugins names the driver)")},
         {"require_plate_clear", plateClearSchema()}}}});
}

std::shared_ptr<const JsonBodySchema> printerChangeBody() {
  return JsonBodySchema::make(
      {{"type", "object"},
       {"additionalProperties", false},
       {"properties",
        {{"name", nameSchema(kMaxNameChars)},
         {"settings", settingsSchema("changed driver settings, merged into the stored ones; the mask "
                                     "\"********\" keeps a stored secret")},
         {"require_plate_clear", plateClearSchema()}}}});
}

std::shared_ptr<const JsonBodySchema> checkBody() {
  return JsonBodySchema::make(
      {{"type", "object"},
       {"additionalProperties", false},
       {"description", "a new printer (driver and settings) or changes to a stored one (printer_id)"},
       {"properties",
        {{"name", nameSchema(kMaxNameChars)},
         {"driver", {{"type", "string"}, {"minLength", 1}}},
         {"settings", settingsSchema("the settings to try")},
         {"printer_id",
          {{"type", "integer"}, {"minimum", 1}, {"description", "check changes to this stored printer"}}}}}});
}

std::shared_ptr<const JsonBodySchema> printStartBody() {
  return JsonBodySchema::make(
      {{"type", "object"},
       {"additionalProperties", false},
       {"required", {"archive_id"}},
       {"properties",
        withProperties(printOptionProperties(), {{"archive_id",
                                                  {{"type", "integer"},
                                                   {"minimum", 1},
                                                   {"description", "an uploaded archive with its 3MF"}}}})}});
}

http::Response errorResponse(const PrinterError& e) {
  return http::Response::json(e.httpStatus(), e.body());
}

// A key limited to some printers sees the others as absent.
bool visible(const http::Request& request, int64_t id) {
  return printerVisible(request, id);
}

template <class Fn> http::Response withPrinter(const http::Request& request, Fn&& fn) {
  auto id = parseId(request.params.at("id"));
  if (!id || !visible(request, *id)) {
    return http::Response::error(404, "not_found", "no printer with id " + request.params.at("id"));
  }
  try {
    return fn(*id);
  } catch (const PrinterError& e) {
    return errorResponse(e);
  }
}

// Runs the operation here, or relays it to the instance connected to the printer.
http::Handler operationHandler(const PrinterRouteServices& services, printers::PrinterRegistry& registry,
                               std::string kind) {
  PrinterOperations operations{&registry, services.starter, services.plate_cleared};
  return [operations, relay = services.relay, kind](const http::Request& request) {
    return withPrinter(request, [&](int64_t id) {
      const nlohmann::json op = operationRequest(request, kind);
      if (relay) {
        if (std::optional<http::Response> relayed = relay(id, kind, op)) {
          return *relayed;
        }
      }
      return runPrinterOperation(operations, id, kind, op);
    });
  };
}

void addCheckRoutes(http::Router& router, printers::PrinterRegistry& registry,
                    printers::ConnectionChecks& checks, auth::AuditLog* audit) {
  router.add(withBody(checkBody(),
                      {http::Method::Post, "/api/v1/printers/check", "admin", http::RateClass::Write,
                       "Check a printer's connection settings before saving them (202; poll the check)",
                       [&registry, &checks, audit](const http::Request& request) {
                         const nlohmann::json* body = &jsonBody(request);
                         try {
                           printers::CheckTarget target = registry.resolveCheck(*body);
                           nlohmann::json started =
                               checks.start(target.driver, target.settings, target.printer_id);
                           nlohmann::json detail = {{"check_id", started["id"]},
                                                    {"driver", target.driver},
                                                    {"changes", changedFields(*body, 2)}};
                           if (target.printer_id) {
                             detail["printer_id"] = *target.printer_id;
                           }
                           auditChange(audit, request, "printer_checked", std::move(detail));
                           http::Response response = http::Response::json(202, started);
                           response.headers.emplace_back("Location", "/api/v1/printers/check/" +
                                                                         started["id"].get<std::string>());
                           return response;
                         } catch (const ServiceError& e) {
                           http::Response refused = errorResponse(e);
                           if (e.httpStatus() == 429) {
                             refused.headers.emplace_back("Retry-After", "2"); // a check takes at most 10 s
                           }
                           return refused;
                         }
                       }}));

  router.add({http::Method::Get, "/api/v1/printers/check/{id}", "admin", http::RateClass::Read,
              "The result of a connection check", [&checks](const http::Request& request) {
                try {
                  return http::Response::json(200, checks.get(request.params.at("id")));
                } catch (const ServiceError& e) {
                  return errorResponse(e);
                }
              }});
}

} // namespace

void addPrinterRoutes(http::Router& router, printers::PrinterRegistry& registry,
                      PrinterRouteServices services) {
  auth::AuditLog* audit = services.audit;
  printers::ConnectionChecks* checks = services.checks;
  if (checks != nullptr) {
    addCheckRoutes(router, registry, *checks, audit);
  }
  router.add({http::Method::Get, "/api/v1/printers", "printers:read", http::RateClass::Read,
              "Printers with a status summary", [&registry](const http::Request& request) {
                http::Response error;
                auto page = parsePage(request, error);
                if (!page) {
                  return error;
                }
                nlohmann::json items = nlohmann::json::array();
                for (int64_t id : registry.ids()) {
                  if (!visible(request, id)) {
                    continue;
                  }
                  try {
                    nlohmann::json d = registry.details(id);
                    items.push_back({{"id", id},
                                     {"name", d["name"]},
                                     {"driver", d["driver"]},
                                     {"source", d["source"]},
                                     {"model", d["model"]},
                                     {"status", d["status"]}});
                  } catch (const PrinterError&) {
                    // removed between ids() and details(): simply not listed
                  }
                }
                return http::Response::json(200, listEnvelope(items, *page));
              }});

  router.add({http::Method::Get, "/api/v1/printers/{id}", "printers:read", http::RateClass::Read,
              "Printer details and capabilities", [&registry](const http::Request& request) {
                return withPrinter(
                    request, [&](int64_t id) { return http::Response::json(200, registry.details(id)); });
              }});

  router.add({http::Method::Get, "/api/v1/printers/{id}/status", "printers:read", http::RateClass::Read,
              "Live printer status", [&registry](const http::Request& request) {
                return withPrinter(
                    request, [&](int64_t id) { return http::Response::json(200, registry.status(id)); });
              }});

  router.add(
      withBody(newPrinterBody(), {http::Method::Post, "/api/v1/printers", "admin", http::RateClass::Write,
                                  "Add a printer", [&registry, audit](const http::Request& request) {
                                    const nlohmann::json* body = &jsonBody(request);
                                    try {
                                      nlohmann::json created = registry.create(*body);
                                      auditChange(audit, request, "printer_created",
                                                  {{"printer_id", created["id"]},
                                                   {"driver", created["driver"]},
                                                   {"changes", changedFields(*body, 2)}});
                                      return http::Response::json(201, created);
                                    } catch (const PrinterError& e) {
                                      return errorResponse(e);
                                    }
                                  }}));

  router.add(withBody(printerChangeBody(),
                      {http::Method::Patch, "/api/v1/printers/{id}", "admin", http::RateClass::Write,
                       "Rename a printer or change its driver settings",
                       [&registry, audit](const http::Request& request) {
                         return withPrinter(request, [&](int64_t id) {
                           const nlohmann::json* body = &jsonBody(request);
                           nlohmann::json changed = registry.update(id, *body);
                           auditChange(audit, request, "printer_changed",
                                       {{"printer_id", id}, {"changes", changedFields(*body, 2)}});
                           return http::Response::json(200, changed);
                         });
                       }}));

  router.add({http::Method::Delete, "/api/v1/printers/{id}", "admin", http::RateClass::Write,
              "Remove a printer", [&registry, audit](const http::Request& request) {
                return withPrinter(request, [&](int64_t id) {
                  registry.remove(id);
                  auditChange(audit, request, "printer_deleted", {{"printer_id", id}});
                  http::Response response;
                  response.status = 204;
                  response.content_type.clear();
                  return response;
                });
              }});

  for (const char* action : {operation::kPause, operation::kResume, operation::kStop}) {
    router.add({http::Method::Post, std::string("/api/v1/printers/{id}/print/") + action, "printers:control",
                http::RateClass::Control, std::string("Send ") + action + " to the printer",
                operationHandler(services, registry, action)});
  }

  router.add(withBody(printStartBody(), {http::Method::Post, "/api/v1/printers/{id}/print/start",
                                         "printers:control", http::RateClass::Control,
                                         "Start printing an archive (202; the file goes to the printer)",
                                         operationHandler(services, registry, operation::kPrintStart)}));

  router.add({http::Method::Post, "/api/v1/printers/{id}/plate-cleared", "printers:control",
              http::RateClass::Control,
              "Confirm the printer's bed is clear, so the queue may start its next job",
              operationHandler(services, registry, operation::kPlateCleared)});
}

} // namespace bambuddy::api
