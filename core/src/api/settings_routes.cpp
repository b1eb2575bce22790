#include "api/settings_routes.h"

#include "api/change_audit.h"
#include "api/json_body.h"
#include "http/router.h"
#include "settings/settings_service.h"

namespace bambuddy::api {

namespace {

// `schema` as a JSON merge patch of what it describes: every property may also be null (back to
// the default), nested objects alike. Not the whole story: the service checks the merged
// settings against the schema itself, so a patch can never leave them invalid.
nlohmann::json patchOf(const nlohmann::json& schema) {
  nlohmann::json out = schema;
  out.erase("$schema"); // inside openapi.json the document's own dialect applies
  auto properties = out.find("properties");
  if (properties == out.end() || !properties->is_object()) {
    return out;
  }
  for (auto it = properties->begin(); it != properties->end(); ++it) {
    nlohmann::json property = patchOf(it.value());
    nlohmann::json& type = property["type"];
    if (type.is_string()) {
      type = nlohmann::json::array({type, "null"});
    } else if (type.is_array()) {
      type.push_back("null");
    }
    it.value() = std::move(property);
  }
  return out;
}

} // namespace

nlohmann::json settingsPatchSchema() {
  nlohmann::json schema = patchOf(settings::SettingsService::schema());
  schema["description"] = "a JSON merge patch of the settings: only the fields to change, null = back to "
                          "the default";
  for (auto it = schema["properties"].begin(); it != schema["properties"].end(); ++it) {
    it.value()["x-error-code"] = "invalid_settings";
  }
  return schema;
}

void addSettingsRoutes(http::Router& router, settings::SettingsService& service, auth::AuditLog* audit) {
  router.add({http::Method::Get, "/api/v1/settings", "settings:read", http::RateClass::Read,
              "Run-time settings",
              [&service](const http::Request&) { return http::Response::json(200, service.currentJson()); }});
  router.add({http::Method::Get, "/api/v1/settings/schema", "settings:read", http::RateClass::Read,
              "JSON Schema of the run-time settings", [](const http::Request&) {
                return http::Response::json(200, settings::SettingsService::schema());
              }});
  router.add(
      withBody(JsonBodySchema::make(settingsPatchSchema()),
               {http::Method::Patch, "/api/v1/settings", "settings:write", http::RateClass::Write,
                "Change run-time settings (JSON merge patch; all or nothing)",
                [&service, audit](const http::Request& request) {
                  const nlohmann::json& body = jsonBody(request);
                  try {
                    nlohmann::json changed = service.patch(body).toJson();
                    auditChange(audit, request, "settings_changed", {{"changes", changedFields(body, 3)}});
                    return http::Response::json(200, changed);
                  } catch (const settings::SettingsError& e) {
                    return http::Response::json(
                        400, {{"detail", e.what()}, {"code", "invalid_settings"}, {"errors", e.problems()}});
                  }
                }}));
}

} // namespace bambuddy::api
