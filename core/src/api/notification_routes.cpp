#include "api/notification_routes.h"

#include "api/change_audit.h"
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

// Providers, their event and printer filters and their delivery logs (whose payloads name printers)
// span every printer, so a key limited to some printers may not use these routes at all.
void addUnlimitedOnly(http::Router& router, http::RouteSpec spec) {
  spec.handler = [inner = std::move(spec.handler)](const http::Request& request) {
    if (limitedToPrinters(request)) {
      return http::Response::error(
          403, "printer_limited_key",
          "notification settings and deliveries cover every printer; a key limited to "
          "some printers (printer_ids) cannot use them");
    }
    return inner(request);
  };
  router.add(std::move(spec));
}

} // namespace

void addNotificationRoutes(http::Router& router, NotificationService& service, auth::AuditLog* audit) {
  const std::string base = "/api/v1/notifications";

  addUnlimitedOnly(router, {http::Method::Get, base, "settings:read", http::RateClass::Read,
                            "Notification providers", [&service](const http::Request& request) {
                              http::Response error;
                              auto page = parsePage(request, error);
                              if (!page) {
                                return error;
                              }
                              return http::Response::json(200, listEnvelope(service.list(), *page));
                            }});

  addUnlimitedOnly(router, {http::Method::Post, base, "settings:write", http::RateClass::Write,
                            "Add a notification provider (an instance of a notifier plugin)",
                            [&service, audit](const http::Request& request) {
                              http::Response error;
                              auto body = parseJsonObject(request, error);
                              if (!body) {
                                return error;
                              }
                              return answerOrRefuse([&] {
                                nlohmann::json created = service.create(*body);
                                auditChange(audit, request, "provider_created",
                                            {{"provider_id", created["id"]},
                                             {"type", created["type"]},
                                             {"changes", changedFields(*body, 2)}});
                                return http::Response::json(201, created);
                              });
                            }});

  addUnlimitedOnly(router, {http::Method::Get, base + "/types", "settings:read", http::RateClass::Read,
                            "Provider types and their settings schema", [&service](const http::Request&) {
                              return http::Response::json(200, {{"items", service.types()}});
                            }});

  addUnlimitedOnly(router,
                   {http::Method::Get, base + "/events", "settings:read", http::RateClass::Read,
                    "Every event with a description and a sample payload", [&service](const http::Request&) {
                      return http::Response::json(200, {{"items", service.events()}});
                    }});

  addUnlimitedOnly(router,
                   {http::Method::Get, base + "/{id}", "settings:read", http::RateClass::Read,
                    "A notification provider (secrets redacted)", [&service](const http::Request& request) {
                      return withId(request, "notification provider",
                                    [&](int64_t id) { return http::Response::json(200, service.get(id)); });
                    }});

  addUnlimitedOnly(router,
                   {http::Method::Patch, base + "/{id}", "settings:write", http::RateClass::Write,
                    "Change a provider's name, settings, events, printer filter, quiet hours or enabled",
                    [&service, audit](const http::Request& request) {
                      return withId(request, "notification provider", [&](int64_t id) {
                        http::Response error;
                        auto body = parseJsonObject(request, error);
                        if (!body) {
                          return error;
                        }
                        nlohmann::json changed = service.update(id, *body);
                        auditChange(audit, request, "provider_changed",
                                    {{"provider_id", id}, {"changes", changedFields(*body, 2)}});
                        return http::Response::json(200, changed);
                      });
                    }});

  addUnlimitedOnly(router, {http::Method::Delete, base + "/{id}", "settings:write", http::RateClass::Write,
                            "Remove a provider and its delivery log",
                            [&service, audit](const http::Request& request) {
                              return withId(request, "notification provider", [&](int64_t id) {
                                service.remove(id);
                                auditChange(audit, request, "provider_deleted", {{"provider_id", id}});
                                http::Response response;
                                response.status = 204;
                                response.content_type.clear();
                                return response;
                              });
                            }});

  addUnlimitedOnly(router, {http::Method::Post, base + "/{id}/test", "settings:write", http::RateClass::Write,
                            "Queue a test event on the test threads; 202 with the delivery to poll",
                            [&service, audit](const http::Request& request) {
                              http::Response response =
                                  withId(request, "notification provider", [&](int64_t id) {
                                    nlohmann::json delivery = service.test(id);
                                    auditChange(audit, request, "provider_tested",
                                                {{"provider_id", id}, {"delivery_id", delivery["id"]}});
                                    http::Response accepted = http::Response::json(202, delivery);
                                    accepted.headers.emplace_back(
                                        "Location", "/api/v1/notifications/deliveries/" +
                                                        std::to_string(delivery["id"].get<int64_t>()));
                                    return accepted;
                                  });
                              if (response.status == 429) {
                                response.headers.emplace_back("Retry-After", "5");
                              }
                              return response;
                            }});

  addUnlimitedOnly(
      router, {http::Method::Get, base + "/deliveries/{id}", "settings:read", http::RateClass::Read,
               "One delivery (poll a test's outcome here)", [&service](const http::Request& request) {
                 return withId(request, "delivery",
                               [&](int64_t id) { return http::Response::json(200, service.delivery(id)); });
               }});

  addUnlimitedOnly(
      router, {http::Method::Post, base + "/{id}/rotate-secret", "settings:write", http::RateClass::Write,
               "Make a new signing secret (shown once); the old one stays valid for grace_period_s",
               [&service, audit](const http::Request& request) {
                 return withId(request, "notification provider", [&](int64_t id) {
                   http::Response error;
                   auto body = optionalBody(request, error);
                   if (!body) {
                     return error;
                   }
                   nlohmann::json rotated = service.rotateSecret(id, *body);
                   auditChange(audit, request, "provider_changed",
                               {{"provider_id", id}, {"changes", {"settings.secret (rotated)"}}});
                   return http::Response::json(200, rotated);
                 });
               }});

  addUnlimitedOnly(router,
                   {http::Method::Get, base + "/{id}/deliveries", "settings:read", http::RateClass::Read,
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
                        return http::Response::json(
                            200, service.deliveries(id, status, page->limit, page->offset));
                      });
                    }});

  addUnlimitedOnly(
      router, {http::Method::Post, base + "/deliveries/{id}/redeliver", "settings:write",
               http::RateClass::Write, "Send a finished delivery again (same notification, same webhook-id)",
               [&service](const http::Request& request) {
                 return withId(request, "delivery",
                               [&](int64_t id) { return http::Response::json(202, service.redeliver(id)); });
               }});
}

} // namespace bambuddy::api
