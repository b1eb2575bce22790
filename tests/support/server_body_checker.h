// The server's own request-body check (api::JsonBodySchema) as a FakeHost::BodyChecker, so plugin
// tests see exactly the refusals the server sends for a route's declared body. Header-only;
// include it only from tests that link bambuddy_api.
#pragma once

#include "api/json_body.h"

#include <bambuddy/testing/fake_host.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace bambuddy::testing {

inline FakeHost::BodyChecker serverBodyChecker() {
  // Compiled once per schema text, as the server compiles each route's schema once.
  struct Cache {
    std::mutex mutex;
    std::map<std::string, std::shared_ptr<const api::JsonBodySchema>> compiled;
  };
  auto cache = std::make_shared<Cache>();
  return [cache](const std::string& schema_json, bool optional,
                 const std::string& body) -> std::optional<FakeHost::RouteResult> {
    std::shared_ptr<const api::JsonBodySchema> check;
    {
      std::lock_guard<std::mutex> lock(cache->mutex);
      auto& slot = cache->compiled[schema_json + (optional ? "\n1" : "\n0")];
      if (!slot) {
        slot = api::JsonBodySchema::make(nlohmann::json::parse(schema_json), !optional);
      }
      check = slot;
    }
    http::Request request;
    request.body = body;
    if (std::optional<http::Response> refused = check->admit(request)) {
      return FakeHost::RouteResult{refused->status, refused->body};
    }
    return std::nullopt;
  };
}

} // namespace bambuddy::testing
