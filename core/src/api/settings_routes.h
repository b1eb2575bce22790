// GET/PATCH /api/v1/settings (settings:read / settings:write).
#pragma once

#include <nlohmann/json.hpp>

namespace bambuddy::auth {
class AuditLog;
}
namespace bambuddy::http {
class Router;
}
namespace bambuddy::settings {
class SettingsService;
}

namespace bambuddy::api {

// The body of PATCH /api/v1/settings: the settings schema as a merge patch (every field may be
// null), each refusal coded invalid_settings.
nlohmann::json settingsPatchSchema();

// Changes are recorded in `audit` (may be null): who, which settings (names only).
void addSettingsRoutes(http::Router& router, settings::SettingsService& service,
                       auth::AuditLog* audit = nullptr);

} // namespace bambuddy::api
