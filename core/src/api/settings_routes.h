// GET/PATCH /api/v1/settings (settings:read / settings:write).
#pragma once

namespace bambuddy::http {
class Router;
}
namespace bambuddy::settings {
class SettingsService;
}

namespace bambuddy::api {

void addSettingsRoutes(http::Router& router, settings::SettingsService& service);

} // namespace bambuddy::api
