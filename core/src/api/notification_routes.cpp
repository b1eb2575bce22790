#include "api/notification_routes.h"

#include "api/json_body.h"
#include "api/pagination.h"
#include "api/route_helpers.h"
#include "http/router.h"
#include "notifications/notification_service.h"

namespace bambuddy::api {

namespace {

using notifications::NotificationService;

// Runs fn(id) for a path {id} that is a positive integer; 404 naming `what` otherwise.
template <class Fn> http::Response withId(const http::Request& request, const std::string& what, Fn&& fn) {
  http::Response error;
  auto id = idParam(request, error, what);
  if (!id) {
    return error;
  }
  return answerOrRefuse([&] { return fn(*id); });
}

// A POST body that may be empty (treated as {}).
std::optional<nlohmann::json> optionalBody(const http::Request& request, http::Response& error) {
  if (request.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return nlohmann::json::object();
  }
  return parseJsonObject(request, error);
}

} // namespace

void addNotificationRoutes(http::Router& router, NotificationService& service) {
  const std::string base = "/api/v1/notifications";

  router.add({http::Method::Get, base, "settings:read", http::RateClass::Read, "Notification providers",
              [&service](const http::Request& request) {
                http::Response error;
                auto page = parsePage(request, error);
                if (!page) {
                  return error;
                }
                return http::Response::json(200, listEnvelope(service.list(), *page));
              }});

  router.add({http::Method::Post, base, "settings:write", http::RateClass::Write,
              "Add a notification provider (an instance of a notifier plugin)",
              [&service](const http::Request& request) {
                http::Response error;
                auto body = parseJsonObject(request, error);
                if (!body) {
                  return error;
                }
                return answerOrRefuse([&] { return http::Response::json(201, service.create(*body)); });
              }});

  router.add({http::Method::Get, base + "/types", "settings:read", http::RateClass::Read,
              "Provider types and their settings schema", [&service](const http::Request&) {
                return http::Response::json(200, {{"items", service.types()}});
              }});

  router.add({http::Method::Get, base + "/events", "settings:read", http::RateClass::Read,
              "Every event with a description and a sample payload", [&service](const http::Request&) {
                return http::Response::json(200, {{"items", service.events()}});
              }});

  router.add({http::Method::Get, base + "/{id}", "settings:read", http::RateClass::Read,
              "A notification provider (secrets redacted)", [&service](const http::Request& request) {
                return withId(request, "notification provider",
                              [&](int64_t id) { return http::Response::json(200, service.get(id)); });
              }});

  router.add({http::Method::Patch, base + "/{id}", "settings:write", http::RateClass::Write,
              "Change a provider's name, settings, events, printer filter, quiet hours or enabled",
              [&service](const http::Request& request) {
                return withId(request, "notification provider", [&](int64_t id) {
                  http::Response error;
                  auto body = parseJsonObject(request, error);
                  if (!body) {
                    return error;
                  }
                  return http::Response::json(200, service.update(id, *body));
                });
              }});

  router.add({http::Method::Delete, base + "/{id}", "settings:write", http::RateClass::Write,
              "Remove a provider and its delivery log", [&service](const http::Request& request) {
                return withId(request, "notification provider", [&](int64_t id) {
                  service.remove(id);
                  http::Response response;
                  response.status = 204;
                  response.content_type.clear();
                  return response;
                });
              }});

  router.add({http::Method::Post, base + "/{id}/test", "settings:write", http::RateClass::Write,
              "Send a test event now and return the delivery result",
              [&service](const http::Request& request) {
                return withId(request, "notification provider",
                              [&](int64_t id) { return http::Response::json(200, service.test(id)); });
              }});

  router.add({http::Method::Post, base + "/{id}/rotate-secret", "settings:write", http::RateClass::Write,
              "Make a new signing secret (shown once); the old one stays valid for grace_period_s",
              [&service](const http::Request& request) {
                return withId(request, "notification provider", [&](int64_t id) {
                  http::Response error;
                  auto body = optionalBody(request, error);
                  if (!body) {
                    return error;
                  }
                  return http::Response::json(200, service.rotateSecret(id, *body));
                });
              }});

  router.add({http::Method::Get, base + "/{id}/deliveries", "settings:read", http::RateClass::Read,
              "A provider's delivery log, newest first (?status=, limit, offset)",
              [&service](const http::Request& request) {
                return withId(request, "notification provider", [&](int64_t id) {
                  http::Response error;
                  auto page = parsePage(request, error);
                  if (!page) {
                    return error;
                  }
                  std::optional<std::string> status;
                  if (auto it = request.query.find("status"); it != request.query.end()) {
                    status = it->second;
                  }
                  return http::Response::json(200, service.deliveries(id, status, page->limit, page->offset));
                });
              }});

  router.add({http::Method::Post, base + "/deliveries/{id}/redeliver", "settings:write",
              http::RateClass::Write, "Send a finished delivery again (same notification, same webhook-id)",
              [&service](const http::Request& request) {
                return withId(request, "delivery",
                              [&](int64_t id) { return http::Response::json(202, service.redeliver(id)); });
              }});
}

} // namespace bambuddy::api
