// GET/PATCH /api/v1/settings (settings:read / settings:write).
#pragma once

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

// Changes are recorded in `audit` (may be null): who, which settings (names only).
void addSettingsRoutes(http::Router& router, settings::SettingsService& service,
                       auth::AuditLog* audit = nullptr);

} // namespace bambuddy::api
