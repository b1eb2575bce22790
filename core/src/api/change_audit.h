// Audit rows for changes made over the API (providers, printers, settings): who (the principal),
// from where, which route, and the names of the fields a body touched. Values never go in: a
// settings object may hold passwords, tokens and header values.
#pragma once

#include "http/http_types.h"

#include <nlohmann/json.hpp>

#include <string>

namespace bambuddy::auth {
class AuditLog;
}

namespace bambuddy::api {

// Dotted names of the members of `body` down to `depth` levels ("name", "settings.url"); an
// object at the last level is named, not entered. At most 64 names.
nlohmann::json changedFields(const nlohmann::json& body, int depth);

// Records `kind` for the request's principal with `detail` (an object; no secret values). Does
// nothing when `audit` is null (tests that build routes without an audit log).
void auditChange(auth::AuditLog* audit, const http::Request& request, const std::string& kind,
                 nlohmann::json detail);

} // namespace bambuddy::api
