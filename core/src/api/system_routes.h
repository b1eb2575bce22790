// REST resources of the core itself: liveness and the loaded plugins.
#pragma once

#include <functional>

namespace bambuddy::http {
class Router;
}
namespace bambuddy::plugins {
class PluginHost;
}

namespace bambuddy::api {

// GET /health (public, no rate class): {"status":"ok"}. GET /health/farm (public): 200
// {"status":"ok","farm":true} on the instance that connects the printers and runs the farm's work
// (every instance that runs alone), 503 {"status":"standby","farm":false} on the others, so a load
// balancer can send everything to that instance and follow it when it fails over.
// `leads` null: this instance runs alone.
void addHealthRoutes(http::Router& router, std::function<bool()> leads = nullptr);

// GET /api/v1/plugins (settings:read): loaded plugins with kind, version, ABI and instances.
void addPluginRoutes(http::Router& router, const plugins::PluginHost& host);

} // namespace bambuddy::api
