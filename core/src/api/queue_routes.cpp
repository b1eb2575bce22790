#include "api/queue_routes.h"

#include "api/json_body.h"
#include "api/route_helpers.h"
#include "api/pagination.h"
#include "http/router.h"
#include "queue/queue_service.h"

namespace bambuddy::api {

namespace {

const char* const kStatuses[] = {"pending", "printing", "completed", "failed", "cancelled", "skipped"};



} // namespace

void addQueueRoutes(http::Router& router, queue::QueueService& queue) {
  router.add({http::Method::Get, "/api/v1/queue", "queue:read", http::RateClass::Read,
              "Queue items in print order", [&queue](const http::Request& request) {
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
                  items.push_back(queue.toJson(item));
                }
                return http::Response::json(200, listEnvelope(items, *page));
              }});
  router.add({http::Method::Get, "/api/v1/queue/{id}", "queue:read", http::RateClass::Read, "One queue item",
              [&queue](const http::Request& request) {
                http::Response error;
                auto id = idParam(request, error, "queue item");
                if (!id) {
                  return error;
                }
                return answerOrRefuse([&] { return http::Response::json(200, queue.toJson(queue.get(*id))); });
              }});
  router.add({http::Method::Post, "/api/v1/queue", "queue:write", http::RateClass::Write,
              "Queue an uploaded archive", [&queue](const http::Request& request) {
                http::Response error;
                auto body = parseJsonObject(request, error);
                if (!body) {
                  return error;
                }
                return answerOrRefuse([&] { return http::Response::json(201, queue.toJson(queue.add(*body))); });
              }});
  router.add({http::Method::Patch, "/api/v1/queue/{id}", "queue:write", http::RateClass::Write,
              "Change a queue item (printer, time, skip/cancel/requeue)", [&queue](const http::Request& request) {
                http::Response error;
                auto id = idParam(request, error, "queue item");
                if (!id) {
                  return error;
                }
                auto body = parseJsonObject(request, error);
                if (!body) {
                  return error;
                }
                return answerOrRefuse([&] { return http::Response::json(200, queue.toJson(queue.patch(*id, *body))); });
              }});
  router.add({http::Method::Delete, "/api/v1/queue/{id}", "queue:write", http::RateClass::Write,
              "Remove a queue item", [&queue](const http::Request& request) {
                http::Response error;
                auto id = idParam(request, error, "queue item");
                if (!id) {
                  return error;
                }
                return answerOrRefuse([&] {
                  queue.remove(*id);
                  http::Response response;
                  response.status = 204;
                  response.content_type.clear();
                  return response;
                });
              }});
  router.add({http::Method::Post, "/api/v1/queue/reorder", "queue:write", http::RateClass::Write,
              "Put pending items in a new order", [&queue](const http::Request& request) {
                http::Response error;
                auto body = parseJsonObject(request, error);
                if (!body) {
                  return error;
                }
                return answerOrRefuse([&] {
                  nlohmann::json items = nlohmann::json::array();
                  for (const auto& item : queue.reorder(*body)) {
                    items.push_back(queue.toJson(item));
                  }
                  return http::Response::json(200, {{"items", items}, {"total", items.size()}});
                });
              }});
}

} // namespace bambuddy::api
