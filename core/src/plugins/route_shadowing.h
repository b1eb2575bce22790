// Whether a plugin route would take requests from a core route. The router prefers literal
// segments over parameters, leftmost first (http/router.h), so a plugin's
// "GET /api/v1/printers/active" would answer what the core's "GET /api/v1/printers/{id}" answers for
// id "active", and an exact duplicate would be ambiguous. Both are refused at registration:
// plugins add routes, they never replace or intercept the core's.
#pragma once

#include "http/http_types.h"

#include <optional>
#include <string>
#include <vector>

namespace bambuddy::plugins {

// The first of `core_routes` that `pattern` (for `method`) would shadow, as "METHOD pattern", or
// nullopt. A plugin route shadows a core route of the same method when some request path matches
// both and the router would pick the plugin's (more literal segments leftmost, or the same shape).
std::optional<std::string> shadowedCoreRoute(const std::vector<http::RouteSpec>& core_routes,
                                             http::Method method, const std::string& pattern);

} // namespace bambuddy::plugins
