// GET /api/v1/audit: the audit trail (admin only), newest first, filtered and paged.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace bambuddy::http {
class Router;
}
namespace bambuddy::auth {
class AuditLog;
}

namespace bambuddy::api {

// Query parameters: kind, since, until (ISO 8601 UTC, "2024-01-15T14:30:00Z"; since inclusive,
// until exclusive), principal_id, client_ip, limit/offset. Answers the list envelope
// {"items": [...], "total", "limit", "offset"}; 400 invalid_parameter names a bad parameter.
void addAuditRoutes(http::Router& router, const auth::AuditLog& audit);

} // namespace bambuddy::api
