#include "api/system_routes.h"

#include "api/pagination.h"
#include "api/route_helpers.h"
#include "http/router.h"
#include "plugins/plugin_host.h"

#include <nlohmann/json.hpp>

namespace bambuddy::api {

void addHealthRoutes(http::Router& router, std::function<bool()> leads) {
  router.add(
      {http::Method::Get, "/health", "", http::RateClass::None, "Liveness probe", [](const http::Request&) {
         return http::Response::json(200, {{"status", "ok"}});
       }});
  router.add({http::Method::Get, "/health/farm", "", http::RateClass::None,
              "Whether this instance runs the farm (several instances: the load balancer's check)",
              [leads](const http::Request&) {
                if (!leads || leads()) {
                  return http::Response::json(200, {{"status", "ok"}, {"farm", true}});
                }
                return http::Response::json(503, {{"status", "standby"}, {"farm", false}});
              }});
}

void addPluginRoutes(http::Router& router, const plugins::PluginHost& host) {
  router.add({http::Method::Get, "/api/v1/plugins", "settings:read", http::RateClass::Read, "Loaded plugins",
              [&host](const http::Request& request) {
                http::Response error;
                auto page = parsePage(request, error);
                if (!page) {
                  return error;
                }
                nlohmann::json items = nlohmann::json::array();
                for (const auto& s : host.summaries()) {
                  items.push_back({{"name", s.name},
                                   {"kind", s.kind},
                                   {"version", s.version},
                                   {"abi", s.abi},
                                   {"description", s.description},
                                   {"required", s.required},
                                   // A printer driver's instance ids name printers ("printer-3"):
                                   // a key limited to some printers sees none of them.
                                   {"instances", s.kind == "printer_driver" && limitedToPrinters(request)
                                                     ? std::vector<std::string>{}
                                                     : s.instances}});
                }
                return http::Response::json(200, listEnvelope(items, *page));
              }});
}

} // namespace bambuddy::api
