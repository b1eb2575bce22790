// Small pieces every resource route needs: the {id} path parameter and turning a service's
// refusal into its HTTP answer.
#pragma once

#include "api/json_body.h"
#include "common/service_error.h"
#include "http/http_types.h"

#include <cstdint>
#include <optional>
#include <string>

namespace bambuddy::api {

// The route's {id}; on anything but a positive integer sets `error` to 404 "no <what> with id x".
inline std::optional<int64_t> idParam(const http::Request& request, http::Response& error, const std::string& what) {
  auto id = parseId(request.params.at("id"));
  if (!id) {
    error = http::Response::error(404, "not_found", "no " + what + " with id " + request.params.at("id"));
  }
  return id;
}

// Runs fn(); a ServiceError becomes its status and {"detail","code",...} body.
template <class Fn> http::Response answerOrRefuse(Fn&& fn) {
  try {
    return fn();
  } catch (const ServiceError& e) {
    return http::Response::json(e.httpStatus(), e.body());
  }
}

} // namespace bambuddy::api
