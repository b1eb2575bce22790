// Small pieces every resource route needs: the {id} path parameter and turning a service's
// refusal into its HTTP answer.
#pragma once

#include "api/json_body.h"
#include "common/service_error.h"
#include "http/http_types.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

namespace bambuddy::api {

// The route's {id}; on anything but a positive integer sets `error` to 404 "no <what> with id x".
inline std::optional<int64_t> idParam(const http::Request& request, http::Response& error,
                                      const std::string& what) {
  auto id = parseId(request.params.at("id"));
  if (!id) {
    error = http::Response::error(404, "not_found", "no " + what + " with id " + request.params.at("id"));
  }
  return id;
}

// A key limited to some printers (the principal's printer_ids; empty = every printer) must never
// see another printer, nor anything attributed to one: such things answer as if they did not exist.
inline bool limitedToPrinters(const http::Request& request) {
  return request.principal && !request.principal->printer_ids.empty();
}

inline bool printerVisible(const http::Request& request, int64_t printer_id) {
  if (!limitedToPrinters(request)) {
    return true;
  }
  const auto& allowed = request.principal->printer_ids;
  return std::find(allowed.begin(), allowed.end(), printer_id) != allowed.end();
}

// For records that may name no printer (an uploaded archive, a queue item for any printer): those
// are visible to every key.
inline bool printerVisible(const http::Request& request, const std::optional<int64_t>& printer_id) {
  return !printer_id || printerVisible(request, *printer_id);
}

// The allowed printers as text for answer-cache keys ("*" = every printer).
inline std::string printerScopeKey(const http::Request& request) {
  if (!limitedToPrinters(request)) {
    return "*";
  }
  std::string out;
  for (int64_t id : request.principal->printer_ids) {
    out += std::to_string(id) + ",";
  }
  return out;
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
