// Lifecycle of the server: builds every service from the config in dependency order, starts them,
// and stops them in reverse order.
#pragma once

#include "config/core_config.h"
#include "http/http_types.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace bambuddy {
class Logger;
}

namespace bambuddy::app {

class App {
public:
  App(const config::CoreConfig& config, Logger& logger);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Opens the database (running migrations), starts the bus, loads plugins, adds routes and starts
  // listening. Throws on failure after undoing what was started: config problems as
  // config::ConfigException or plugins::PluginLoadError, anything else as std::runtime_error.
  void start();

  // The port actually bound (useful with port 0).
  uint16_t port() const;

  // Every route the server answers (core and plugin routes), with permission and rate class.
  std::vector<http::RouteSpec> routes() const;

  // Graceful: HTTP first (in-flight requests finish), then plugins, bus and database. Idempotent.
  void stop();

private:
  struct Services;
  // cluster.enabled: the coordinator takes the farm's lease when it is free and hands the work to
  // the services (printers, journal, queue, deliveries) as leases come and go.
  void startCluster(Services& s);
  const config::CoreConfig& config_;
  Logger& logger_;
  std::unique_ptr<Services> services_;
};

} // namespace bambuddy::app
