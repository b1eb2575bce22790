// notifier.matrix's instance settings, parsed and checked (see schema/instance.schema.json).
#pragma once

#include "net/target_url.h"
#include "text/event_templates.h"

#include <cstdint>
#include <string>

namespace bambuddy::notifier_matrix {

inline constexpr int64_t kDefaultTimeoutMs = 10000;

struct MatrixSettings {
  std::string homeserver; // base URL without a trailing '/'
  std::string homeserver_origin;
  std::string access_token; // secret, sent as Authorization: Bearer
  std::string room_id;      // "!opaque:server.name"
  std::string msgtype = "m.text";
  common::text::EventTemplates templates; // title, message
  int64_t timeout_ms = kDefaultTimeoutMs;
};

// Throws sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_settings", "notifier.matrix settings: /...")
// naming the field; never repeats the access token.
MatrixSettings parseMatrixSettings(const std::string& settings_json);

} // namespace bambuddy::notifier_matrix
