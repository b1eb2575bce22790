#include "api/notification_routes.h"

#include "api/body_fragments.h"
#include "api/change_audit.h"
#include "api/json_body.h"
#include "api/pagination.h"
#include "api/route_helpers.h"
#include "http/router.h"
#include "notifications/event_catalog.h"
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

// ---- request bodies (checked by the server before the handlers run; served in openapi.json) ----

// A webhook's old signing secret stays valid at most this long after a rotation.
constexpr int64_t kMaxGracePeriodS = 30 * 86400;

// The fields of a provider a client may set; `with_type` for creation (the type cannot change).
nlohmann::json providerProperties(bool with_type) {
  nlohmann::json event_names = nlohmann::json::array();
  for (const notifications::EventInfo& info : notifications::eventCatalog()) {
    event_names.push_back(info.name);
  }
  nlohmann::json clock = {{"type", "string"},
                          {"pattern", "^([01][0-9]|2[0-3]):[0-5][0-9]$"},
                          {"description", "HH:MM, 00:00 to 23:59"}};
  nlohmann::json properties = {
      {"name", nameSchema(100)},
      {"enabled", {{"type", "boolean"}}},
      {"settings",
       {{"type", "object"},
        {"description", "the type's settings (GET /api/v1/notifications/types); the mask \"********\" "
                        "keeps a stored secret"}}},
      {"events",
       {{"type", {"array", "null"}},
        {"minItems", 1},
        {"uniqueItems", true},
        {"items", {{"enum", event_names}}},
        {"description", "the events to send; null = every event"}}},
      {"printer_ids",
       {{"type", {"array", "null"}},
        {"minItems", 1},
        {"uniqueItems", true},
        {"items", {{"type", "integer"}, {"minimum", 1}}},
        {"description", "only events of these printers; null = every printer"}}},
      {"quiet_hours",
       {{"type", {"object", "null"}},
        {"additionalProperties", false},
        {"required", {"start", "end"}},
        {"properties",
         {{"start", clock},
          {"end", clock},
          {"timezone",
           {{"type", {"string", "null"}},
            {"minLength", 1},
            {"description", "an IANA time zone such as Europe/Berlin; null = UTC"}}}}},
        {"description", "events in this daily window are suppressed; null = none"}}}};
  if (with_type) {
    properties["type"] = {{"type", "string"},
                          {"minLength", 1},
                          {"description", "a loaded notifier type (GET /api/v1/notifications/types)"},
                          {"examples", {"webhook", "ntfy", "email"}}};
  }
  return properties;
}

std::shared_ptr<const JsonBodySchema> newProviderBody() {
  return JsonBodySchema::make({{"type", "object"},
                               {"additionalProperties", false},
                               {"required", {"type", "name"}},
                               {"properties", providerProperties(true)}});
}

std::shared_ptr<const JsonBodySchema> providerChangeBody() {
  return JsonBodySchema::make({{"type", "object"},
                               {"additionalProperties", false},
                               {"description", "the fields to change; the type cannot change"},
                               {"properties", providerProperties(false)}});
}

std::shared_ptr<const JsonBodySchema> previewBody() {
  nlohmann::json event_names = nlohmann::json::array();
  for (const notifications::EventInfo& info : notifications::eventCatalog()) {
    event_names.push_back(info.name);
  }
  return JsonBodySchema::make(
      {{"type", "object"},
       {"additionalProperties", false},
       {"required", {"event"}},
       {"description",
        "provider_id (a saved provider; with settings: as being edited) or type with settings (a "
        "provider being written)"},
       {"properties",
        {{"event", {{"enum", event_names}, {"description", "the event to render"}}},
         {"provider_id", {{"type", "integer"}, {"minimum", 1}}},
         {"type", {{"type", "string"}, {"minLength", 1}, {"examples", {"discord", "ntfy"}}}},
         {"settings",
          {{"type", "object"},
           {"description",
            "the type's settings as in the form; the mask \"********\" keeps a saved provider's "
            "secret"}}},
         {"data",
          {{"type", "object"},
           {"description",
            "the event's data; the event's sample (GET /api/v1/notifications/events) when absent"}}}}}});
}

std::shared_ptr<const JsonBodySchema> rotateSecretBody() {
  return JsonBodySchema::make({{"type", "object"},
                               {"additionalProperties", false},
                               {"properties",
                                {{"grace_period_s",
                                  {{"type", "integer"},
                                   {"minimum", 0},
                                   {"maximum", kMaxGracePeriodS},
                                   {"default", 86400},
                                   {"x-error-code", "invalid_grace_period"},
                                   {"description", "seconds the old secret stays valid"}}}}}},
                              false);
}

// Providers, their event and printer filters and their delivery logs (whose payloads name printers)
// span every printer, so a key limited to some printers may not use these routes at all.
http::Response limitedKeyRefusal() {
  return http::Response::error(403, "printer_limited_key",
                               "notification settings and deliveries cover every printer; a key limited to "
                               "some printers (printer_ids) cannot use them");
}

// The body check of such a route refuses a limited key first: like any permission, that is
// decided before the body is looked at.
class UnlimitedOnlyBody final : public http::BodyCheck {
public:
  explicit UnlimitedOnlyBody(std::shared_ptr<const http::BodyCheck> inner) : inner_(std::move(inner)) {}
  const nlohmann::json& schema() const override { return inner_->schema(); }
  bool required() const override { return inner_->required(); }
  std::optional<http::Response> admit(http::Request& request) const override {
    if (limitedToPrinters(request)) {
      return limitedKeyRefusal();
    }
    return inner_->admit(request);
  }

private:
  std::shared_ptr<const http::BodyCheck> inner_;
};

void addUnlimitedOnly(http::Router& router, http::RouteSpec spec) {
  spec.handler = [inner = std::move(spec.handler)](const http::Request& request) {
    if (limitedToPrinters(request)) {
      return limitedKeyRefusal();
    }
    return inner(request);
  };
  if (spec.body) {
    spec.body = std::make_shared<UnlimitedOnlyBody>(std::move(spec.body));
  }
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

  addUnlimitedOnly(
      router, withBody(newProviderBody(), {http::Method::Post, base, "settings:write", http::RateClass::Write,
                                           "Add a notification provider (an instance of a notifier plugin)",
                                           [&service, audit](const http::Request& request) {
                                             const nlohmann::json* body = &jsonBody(request);
                                             return answerOrRefuse([&] {
                                               nlohmann::json created = service.create(*body);
                                               auditChange(audit, request, "provider_created",
                                                           {{"provider_id", created["id"]},
                                                            {"type", created["type"]},
                                                            {"changes", changedFields(*body, 2)}});
                                               return http::Response::json(201, created);
                                             });
                                           }}));

  // settings:write: it may create a short-lived plugin instance on settings the caller gives.
  addUnlimitedOnly(router,
                   withBody(previewBody(),
                            {http::Method::Post, base + "/preview", "settings:write", http::RateClass::Write,
                             "The message a provider would send for an event, as its plugin "
                             "renders it; nothing is sent",
                             [&service](const http::Request& request) {
                               const nlohmann::json* body = &jsonBody(request);
                               http::Response response = answerOrRefuse(
                                   [&] { return http::Response::json(200, service.preview(*body)); });
                               if (response.status == 429) {
                                 response.headers.emplace_back("Retry-After", "1");
                               }
                               return response;
                             }}));

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

  addUnlimitedOnly(
      router, withBody(providerChangeBody(),
                       {http::Method::Patch, base + "/{id}", "settings:write", http::RateClass::Write,
                        "Change a provider's name, settings, events, printer filter, quiet hours or enabled",
                        [&service, audit](const http::Request& request) {
                          return withId(request, "notification provider", [&](int64_t id) {
                            const nlohmann::json* body = &jsonBody(request);
                            nlohmann::json changed = service.update(id, *body);
                            auditChange(audit, request, "provider_changed",
                                        {{"provider_id", id}, {"changes", changedFields(*body, 2)}});
                            return http::Response::json(200, changed);
                          });
                        }}));

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
      router,
      withBody(rotateSecretBody(),
               {http::Method::Post, base + "/{id}/rotate-secret", "settings:write", http::RateClass::Write,
                "Make a new signing secret (shown once); the old one stays valid for grace_period_s",
                [&service, audit](const http::Request& request) {
                  return withId(request, "notification provider", [&](int64_t id) {
                    nlohmann::json rotated = service.rotateSecret(id, jsonBody(request));
                    auditChange(audit, request, "provider_changed",
                                {{"provider_id", id}, {"changes", {"settings.secret (rotated)"}}});
                    return http::Response::json(200, rotated);
                  });
                }}));

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
