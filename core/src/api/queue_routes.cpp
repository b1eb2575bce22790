#include "api/queue_routes.h"

#include "api/body_fragments.h"
#include "api/json_body.h"
#include "api/pagination.h"
#include "api/route_helpers.h"
#include "archives/archive_service.h"
#include "http/router.h"
#include "queue/queue_service.h"

#include <nlohmann/json.hpp>

namespace bambuddy::api {

namespace {

const char* const kStatuses[] = {"pending", "printing", "completed", "failed", "cancelled", "skipped"};

// ---- request bodies (checked by the server before the handlers run; served in openapi.json) ----

nlohmann::json placementProperties() {
  return {{"printer_id",
           {{"type", {"integer", "null"}},
            {"minimum", 1},
            {"description", "the printer to print on; null = the first free one"}}},
          {"scheduled_at",
           {{"type", {"string", "null"}},
            {"format", "date-time"},
            {"description", "not before this UTC time, e.g. 2024-01-15T14:30:00Z; null = now"}}}};
}

std::shared_ptr<const JsonBodySchema> newItemBody() {
  nlohmann::json properties = withProperties(printOptionProperties(), placementProperties());
  properties["archive_id"] = {
      {"type", "integer"}, {"minimum", 1}, {"description", "an uploaded archive with its 3MF"}};
  return JsonBodySchema::make({{"type", "object"},
                               {"additionalProperties", false},
                               {"required", {"archive_id"}},
                               {"properties", properties}});
}

std::shared_ptr<const JsonBodySchema> itemChangeBody() {
  nlohmann::json properties = withProperties(printOptionProperties(), placementProperties());
  properties["status"] = {{"enum", {"pending", "skipped", "cancelled"}},
                          {"description", "skip, cancel, or put back in line"}};
  return JsonBodySchema::make(
      {{"type", "object"},
       {"additionalProperties", false},
       {"description", "the fields to change; a print option set to null goes back to the default"},
       {"properties", properties}});
}

std::shared_ptr<const JsonBodySchema> reorderBody() {
  return JsonBodySchema::make({{"type", "object"},
                               {"additionalProperties", false},
                               {"required", {"order"}},
                               {"properties",
                                {{"order",
                                  {{"type", "array"},
                                   {"uniqueItems", true},
                                   {"items", {{"type", "integer"}}},
                                   {"description", "pending queue item ids, the first to print first"}}}}}});
}

// Whether a key limited to some printers may see the archive behind an item: an upload (no
// printer) or a print on one of its printers. A deleted archive names no printer.
bool archiveVisible(archives::ArchiveService& archives, const http::Request& request, int64_t archive_id) {
  if (!limitedToPrinters(request)) {
    return true;
  }
  try {
    return printerVisible(request, archives.get(archive_id).printer_id);
  } catch (const archives::ArchiveError&) {
    return true;
  }
}

// A limited key sees an item only when it targets or ran on one of its printers: an item for "any
// printer" that no printer has taken yet may go to any of them, and its reason names them.
bool itemVisible(archives::ArchiveService& archives, const http::Request& request,
                 const queue::QueueItem& item) {
  if (!limitedToPrinters(request)) {
    return true;
  }
  if (!item.printer_id && !item.assigned_printer_id) {
    return false;
  }
  return printerVisible(request, item.printer_id) && printerVisible(request, item.assigned_printer_id) &&
         archiveVisible(archives, request, item.archive_id) &&
         (!item.print_archive_id || archiveVisible(archives, request, *item.print_archive_id));
}

queue::QueueItem visibleItem(queue::QueueService& queue, archives::ArchiveService& archives,
                             const http::Request& request, int64_t id) {
  queue::QueueItem item = queue.get(id);
  if (!itemVisible(archives, request, item)) {
    throw queue::QueueError(404, "not_found", "no queue item with id " + std::to_string(id));
  }
  return item;
}

// What a limited key may write into an item: its own printers only (a printer it may not see
// answers as a printer that does not exist), never "any printer", and archives it may see.
void checkWrite(archives::ArchiveService& archives, const http::Request& request,
                const nlohmann::json& body) {
  if (!limitedToPrinters(request) || !body.is_object()) {
    return;
  }
  if (auto it = body.find("archive_id");
      it != body.end() && it->is_number_integer() && !archiveVisible(archives, request, it->get<int64_t>())) {
    throw queue::QueueError(400, "invalid_archive_id",
                            "archive_id: no archive with id " + std::to_string(it->get<int64_t>()));
  }
  auto it = body.find("printer_id");
  if (it == body.end() || it->is_null()) {
    // POST without a printer, or PATCH to "any printer".
    if (it != body.end() || body.contains("archive_id")) {
      throw queue::QueueError(
          400, "invalid_printer_id",
          "printer_id: required for a key limited to printers (it may queue only for them)");
    }
    return;
  }
  if (it->is_number_integer() && !printerVisible(request, it->get<int64_t>())) {
    throw queue::QueueError(400, "invalid_printer_id",
                            "printer_id: no printer with id " + std::to_string(it->get<int64_t>()));
  }
}

} // namespace

void addQueueRoutes(http::Router& router, queue::QueueService& queue, archives::ArchiveService& archives) {
  router.add({http::Method::Get, "/api/v1/queue", "queue:read", http::RateClass::Read,
              "Queue items in print order", [&queue, &archives](const http::Request& request) {
                http::Response error;
                auto page = parsePage(request, error);
                if (!page) {
                  return error;
                }
                std::optional<std::string> status;
                if (auto it = request.query.find("status"); it != request.query.end()) {
                  bool known = false;
                  for (const char* s : kStatuses) {
                    known = known || it->second == s;
                  }
                  if (!known) {
                    return http::Response::error(
                        400, "invalid_status",
                        "status: one of pending, printing, completed, failed, cancelled, skipped");
                  }
                  status = it->second;
                }
                nlohmann::json items = nlohmann::json::array();
                for (const auto& item : queue.list(status)) {
                  if (itemVisible(archives, request, item)) {
                    items.push_back(queue.toJson(item));
                  }
                }
                return http::Response::json(200, listEnvelope(items, *page));
              }});
  router.add({http::Method::Get, "/api/v1/queue/{id}", "queue:read", http::RateClass::Read, "One queue item",
              [&queue, &archives](const http::Request& request) {
                http::Response error;
                auto id = idParam(request, error, "queue item");
                if (!id) {
                  return error;
                }
                return answerOrRefuse([&] {
                  return http::Response::json(200, queue.toJson(visibleItem(queue, archives, request, *id)));
                });
              }});
  router.add(withBody(
      newItemBody(), {http::Method::Post, "/api/v1/queue", "queue:write", http::RateClass::Write,
                      "Queue an uploaded archive", [&queue, &archives](const http::Request& request) {
                        auto body = std::make_optional(jsonBody(request)); // a copy: it may gain printer_id
                        return answerOrRefuse([&] {
                          if (limitedToPrinters(request) && !body->contains("printer_id")) {
                            (*body)["printer_id"] = nullptr; // refused below: a limited key names its printer
                          }
                          checkWrite(archives, request, *body);
                          return http::Response::json(201, queue.toJson(queue.add(*body)));
                        });
                      }}));
  router.add(withBody(itemChangeBody(),
                      {http::Method::Patch, "/api/v1/queue/{id}", "queue:write", http::RateClass::Write,
                       "Change a queue item (printer, time, skip/cancel/requeue)",
                       [&queue, &archives](const http::Request& request) {
                         http::Response error;
                         auto id = idParam(request, error, "queue item");
                         if (!id) {
                           return error;
                         }
                         const nlohmann::json* body = &jsonBody(request);
                         return answerOrRefuse([&] {
                           visibleItem(queue, archives, request, *id);
                           checkWrite(archives, request, *body);
                           return http::Response::json(200, queue.toJson(queue.patch(*id, *body)));
                         });
                       }}));
  router.add({http::Method::Delete, "/api/v1/queue/{id}", "queue:write", http::RateClass::Write,
              "Remove a queue item", [&queue, &archives](const http::Request& request) {
                http::Response error;
                auto id = idParam(request, error, "queue item");
                if (!id) {
                  return error;
                }
                return answerOrRefuse([&] {
                  visibleItem(queue, archives, request, *id);
                  queue.remove(*id);
                  http::Response response;
                  response.status = 204;
                  response.content_type.clear();
                  return response;
                });
              }});
  router.add(withBody(reorderBody(),
                      {http::Method::Post, "/api/v1/queue/reorder", "queue:write", http::RateClass::Write,
                       "Put pending items in a new order", [&queue, &archives](const http::Request& request) {
                         const nlohmann::json* body = &jsonBody(request);
                         return answerOrRefuse([&] {
                           // An item the key may not see reads as one that is not pending.
                           if (limitedToPrinters(request)) {
                             const nlohmann::json& order = (*body)["order"];
                             for (std::size_t i = 0; i < order.size(); ++i) {
                               int64_t item_id = order[i].get<int64_t>();
                               bool visible = false;
                               try {
                                 visible = itemVisible(archives, request, queue.get(item_id));
                               } catch (const queue::QueueError&) {
                                 continue; // unknown: the service names that error
                               }
                               if (!visible) {
                                 throw queue::QueueError(400, "invalid_order",
                                                         "order[" + std::to_string(i) +
                                                             "]: " + std::to_string(item_id) +
                                                             " is not a pending queue item");
                               }
                             }
                           }
                           nlohmann::json items = nlohmann::json::array();
                           for (const auto& item : queue.reorder(*body)) {
                             if (itemVisible(archives, request, item)) {
                               items.push_back(queue.toJson(item));
                             }
                           }
                           return http::Response::json(200, {{"items", items}, {"total", items.size()}});
                         });
                       }}));
}

} // namespace bambuddy::api
