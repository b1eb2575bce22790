#include "plugins/route_bindings.h"

namespace bambuddy::plugins {

std::pair<std::shared_ptr<RouteBinding>, RouteBindings::Outcome>
RouteBindings::bind(const std::string& plugin, const std::string& instance, const std::string& method,
                    const std::string& pattern, std::shared_ptr<InstanceContext> owner, bb_route_fn handler,
                    void* user) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, inserted] = bindings_.try_emplace(Key{plugin, instance, method, pattern});
  if (inserted) {
    it->second = std::make_shared<RouteBinding>();
  }
  std::lock_guard<std::mutex> binding_lock(it->second->mutex);
  if (!inserted && it->second->owner == owner) {
    return {it->second, Outcome::Taken};
  }
  it->second->owner = std::move(owner);
  it->second->handler = handler;
  it->second->user = user;
  return {it->second, inserted ? Outcome::Created : Outcome::Rebound};
}

void RouteBindings::forget(const std::string& plugin, const std::string& instance, const std::string& method,
                           const std::string& pattern) {
  std::lock_guard<std::mutex> lock(mutex_);
  bindings_.erase(Key{plugin, instance, method, pattern});
}

bool RouteBindings::isPluginRoute(const std::string& method, const std::string& pattern) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [key, binding] : bindings_) {
    if (std::get<2>(key) == method && std::get<3>(key) == pattern) {
      return true;
    }
  }
  return false;
}

} // namespace bambuddy::plugins
