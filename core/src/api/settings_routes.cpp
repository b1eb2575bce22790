#include "api/settings_routes.h"

#include "api/change_audit.h"
#include "api/json_body.h"
#include "http/router.h"
#include "settings/settings_service.h"

namespace bambuddy::api {

void addSettingsRoutes(http::Router& router, settings::SettingsService& service, auth::AuditLog* audit) {
  router.add({http::Method::Get, "/api/v1/settings", "settings:read", http::RateClass::Read,
              "Run-time settings",
              [&service](const http::Request&) { return http::Response::json(200, service.currentJson()); }});
  router.add({http::Method::Get, "/api/v1/settings/schema", "settings:read", http::RateClass::Read,
              "JSON Schema of the run-time settings", [](const http::Request&) {
                return http::Response::json(200, settings::SettingsService::schema());
              }});
  router.add({http::Method::Patch, "/api/v1/settings", "settings:write", http::RateClass::Write,
              "Change run-time settings (JSON merge patch; all or nothing)",
              [&service, audit](const http::Request& request) {
                http::Response error;
                auto body = parseJsonObject(request, error);
                if (!body) {
                  return error;
                }
                try {
                  nlohmann::json changed = service.patch(*body).toJson();
                  auditChange(audit, request, "settings_changed", {{"changes", changedFields(*body, 3)}});
                  return http::Response::json(200, changed);
                } catch (const settings::SettingsError& e) {
                  return http::Response::json(
                      400, {{"detail", e.what()}, {"code", "invalid_settings"}, {"errors", e.problems()}});
                }
              }});
}

} // namespace bambuddy::api
