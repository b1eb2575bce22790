#include "api/change_audit.h"

#include "auth/audit_log.h"

namespace bambuddy::api {

namespace {

constexpr size_t kMaxNames = 64;

void collect(const nlohmann::json& value, const std::string& prefix, int depth, nlohmann::json& out) {
  for (auto it = value.begin(); it != value.end() && out.size() < kMaxNames; ++it) {
    std::string name = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (depth > 1 && it.value().is_object() && !it.value().empty()) {
      collect(it.value(), name, depth - 1, out);
    } else {
      out.push_back(name);
    }
  }
}

} // namespace

nlohmann::json changedFields(const nlohmann::json& body, int depth) {
  nlohmann::json out = nlohmann::json::array();
  if (body.is_object()) {
    collect(body, "", depth, out);
  }
  return out;
}

void auditChange(auth::AuditLog* audit, const http::Request& request, const std::string& kind,
                 nlohmann::json detail) {
  if (audit == nullptr) {
    return;
  }
  auth::AuditEntry entry;
  entry.kind = kind;
  if (request.principal) {
    entry.principal_id = request.principal->id;
    entry.principal_name = request.principal->display_name;
  }
  entry.client_ip = request.client_ip;
  entry.method = std::string(http::methodName(request.method));
  entry.path = request.path;
  entry.detail_json = detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  audit->record(std::move(entry));
}

} // namespace bambuddy::api
