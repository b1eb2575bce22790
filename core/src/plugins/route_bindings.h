// Which plugin instance serves each plugin route. Routes cannot be removed from the router, so a
// route points at a binding; when an instance is destroyed and created again with the same plugin
// and instance id (a printer's settings changed, a provider was re-created), registering the same
// method and pattern again moves the binding to the new instance instead of failing.
#pragma once

#include <bambuddy/abi.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

namespace bambuddy::plugins {

struct InstanceContext;

struct RouteBinding {
  std::mutex mutex;
  std::shared_ptr<InstanceContext> owner;
  bb_route_fn handler = nullptr;
  void* user = nullptr;
};

class RouteBindings {
public:
  enum class Outcome { Created, Rebound, Taken };
  // Created: a new binding (the caller adds the route). Rebound: the route exists and now serves
  // `owner` (an earlier instance with this id was destroyed). Taken: `owner` itself registered this
  // route already, which is a conflict like any other duplicate.
  std::pair<std::shared_ptr<RouteBinding>, Outcome>
  bind(const std::string& plugin, const std::string& instance, const std::string& method,
       const std::string& pattern, std::shared_ptr<InstanceContext> owner, bb_route_fn handler, void* user);
  // True when some plugin instance registered `method` `pattern` (bound or once bound).
  bool isPluginRoute(const std::string& method, const std::string& pattern);
  // Undoes a bind that created a new binding whose route could not be added.
  void forget(const std::string& plugin, const std::string& instance, const std::string& method,
              const std::string& pattern);

private:
  using Key = std::tuple<std::string, std::string, std::string, std::string>;
  std::mutex mutex_;
  std::map<Key, std::shared_ptr<RouteBinding>> bindings_;
};

} // namespace bambuddy::plugins
