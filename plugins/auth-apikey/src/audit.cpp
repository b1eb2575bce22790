#include "audit.h"

#include <nlohmann/json.hpp>

namespace bambuddy::auth_apikey {

void publishAudit(const sdk::Host& host, const char* kind, const sdk::RouteRequest& request,
                  const KeyRecord& key, const std::vector<std::string>& changes,
                  const nlohmann::json& extra) {
  nlohmann::json detail = {{"key_id", key.id}, {"key_name", key.name}, {"changes", changes}};
  if (extra.is_object()) {
    detail.update(extra);
  }
  nlohmann::json payload = {{"kind", kind},
                            {"principal_id", request.principal.id},
                            {"principal_name", request.principal.display_name},
                            {"key_prefix", key.prefix},
                            {"client_ip", std::string(request.client_ip)},
                            {"path", std::string(request.path)},
                            {"reason", ""},
                            {"detail", detail}};
  try {
    // Replace invalid UTF-8 rather than throw: names are checked, but a principal's may not be.
    host.publish(kAuditTopic, payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  } catch (const std::exception& e) {
    host.warn(std::string("could not publish audit event ") + kind + " for API key " +
              std::to_string(key.id) + ": " + e.what());
  }
}

} // namespace bambuddy::auth_apikey
