// REST resources of the core itself: liveness and the loaded plugins.
#pragma once

namespace bambuddy::http {
class Router;
}
namespace bambuddy::plugins {
class PluginHost;
}

namespace bambuddy::api {

// GET /health (public, no rate class): {"status":"ok"}.
void addHealthRoutes(http::Router& router);

// GET /api/v1/plugins (settings:read): loaded plugins with kind, version, ABI and instances.
void addPluginRoutes(http::Router& router, const plugins::PluginHost& host);

} // namespace bambuddy::api
