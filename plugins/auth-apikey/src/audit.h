// Audit events for key management, published on the bus topic "audit_event".
#pragma once

#include "key_record.h"

#include <bambuddy/sdk.hpp>

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace bambuddy::auth_apikey {

inline constexpr const char* kAuditTopic = "audit_event";

// Publishes {"kind", "principal_id", "principal_name", "key_prefix", "client_ip", "path",
// "reason": "", "detail": {"key_id", "key_name", "changes", ...extra}}. The key itself is never
// part of it. A bus failure (queue full) is logged, never thrown: the change already happened.
void publishAudit(const sdk::Host& host, const char* kind, const sdk::RouteRequest& request,
                  const KeyRecord& key, const std::vector<std::string>& changes, const nlohmann::json& extra);

} // namespace bambuddy::auth_apikey
