// auth.apikey's request bodies: POST /api-keys and PATCH /api-keys/{id} (parseKeyInput) and
// POST /api-keys/{id}/rotate (parseGracePeriod), on the server's path: the host first checks the
// body against the schema the plugin declares with the route, and only a body it admits reaches the
// plugin. A refusal must be the host's 400/413 or an sdk::Error from the plugin, nothing else.
#include "key_input.h"

#include "api/json_body.h"

#include <bambuddy/sdk.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

using namespace bambuddy;
using namespace bambuddy::auth_apikey;

namespace {

struct Schemas {
  std::shared_ptr<const api::JsonBodySchema> create =
      api::JsonBodySchema::make(nlohmann::json::parse(keyBodySchema(true)));
  std::shared_ptr<const api::JsonBodySchema> update =
      api::JsonBodySchema::make(nlohmann::json::parse(keyBodySchema(false)));
  std::shared_ptr<const api::JsonBodySchema> rotate =
      api::JsonBodySchema::make(nlohmann::json::parse(rotateBodySchema()), false);
};

// True when the host lets `body` through to the handler; a refusal must be a 400 or 413.
bool admitted(const api::JsonBodySchema& schema, const std::string& body) {
  http::Request request;
  request.body = body;
  if (std::optional<http::Response> refused = schema.admit(request)) {
    if (refused->status != 400 && refused->status != 413) {
      std::abort();
    }
    return false;
  }
  return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Schemas schemas;
  const std::string body(reinterpret_cast<const char*>(data), size);
  const int64_t now_ms = 1700000000000;
  for (bool creating : {true, false}) {
    if (!admitted(creating ? *schemas.create : *schemas.update, body)) {
      continue;
    }
    try {
      KeyInput input = parseKeyInput(body, now_ms, creating);
      (void)input;
    } catch (const bambuddy::sdk::Error&) {
    }
  }
  if (admitted(*schemas.rotate, body)) {
    (void)parseGracePeriod(body, 3600); // an admitted body never fails here
  }
  return 0;
}
