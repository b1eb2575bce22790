// The REST routes of auth.apikey: /api/v1/api-keys (admin) and /api/v1/auth/me (any caller).
#pragma once

#include "key_registry.h"

#include <bambuddy/sdk.hpp>

#include <cstdint>

namespace bambuddy::auth_apikey {

class KeyRoutes {
public:
  KeyRoutes(sdk::Host host, KeyRegistry& registry, int64_t default_grace_s)
      : host_(std::move(host)), registry_(registry), default_grace_s_(default_grace_s) {}

  // Registers every route with the host. The handlers use this object: it must outlive them.
  void registerAll();

  sdk::RouteResponse list(const sdk::RouteRequest& request);
  sdk::RouteResponse create(const sdk::RouteRequest& request);
  sdk::RouteResponse get(const sdk::RouteRequest& request);
  sdk::RouteResponse update(const sdk::RouteRequest& request);
  sdk::RouteResponse remove(const sdk::RouteRequest& request);
  sdk::RouteResponse rotate(const sdk::RouteRequest& request);
  sdk::RouteResponse me(const sdk::RouteRequest& request);

private:
  sdk::Host host_;
  KeyRegistry& registry_;
  int64_t default_grace_s_;
};

} // namespace bambuddy::auth_apikey
