#include "sim_route.h"

#include <filesystem>

namespace bambuddy::printer_sim {

std::string instanceIdOf(const sdk::Host& host) {
  std::filesystem::path dir(host.dataDir());
  if (!dir.has_filename()) {
    dir = dir.parent_path(); // a trailing '/'
  }
  return dir.filename().string();
}

bool isRouteSafeId(const std::string& id) {
  if (id.empty() || id.size() > 64) {
    return false;
  }
  for (char c : id) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

void registerActionRoute(sdk::Host& host, CommandRunner run_command) {
  const std::string id = instanceIdOf(host);
  if (!isRouteSafeId(id)) {
    std::string shown = id.size() > 64 ? id.substr(0, 64) + "..." : id;
    host.warn("no /api/v1/sim/<id>/actions route for instance '" + shown +
              "': the id must be 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'");
    return;
  }
  const std::string pattern = "/api/v1/sim/" + id + "/actions";
  // The handler must not hold a Host copy: the host keeps the handler, so that would be a cycle.
  auto handler = [run_command = std::move(run_command)](const sdk::RouteRequest& request) {
    std::string caller = request.principal.id.empty() ? std::string("unknown caller") : request.principal.id;
    std::string result = run_command(std::string(request.body), caller);
    return sdk::RouteResponse{200, result.empty() ? std::string("{}") : result};
  };
  try {
    host.registerRoute("POST", pattern, BB_PERM_ADMIN, sdk::RateClass::Control, std::move(handler));
  } catch (const sdk::Error& e) {
    if (e.code() == BB_ERR_CONFLICT) {
      host.info("POST " + pattern + " is already registered (an earlier instance with this id); the server " +
                "rebinds it to this instance");
    } else if (e.code() == BB_ERR_UNSUPPORTED) {
      host.debug("the host serves no HTTP; no POST " + pattern);
    } else {
      host.warn("cannot register POST " + pattern + ": " + e.what());
    }
  }
}

} // namespace bambuddy::printer_sim
