// notifier.telegram's instance settings, parsed and checked (see schema/instance.schema.json).
#pragma once

#include "net/target_url.h"
#include "text/event_templates.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace bambuddy::notifier_telegram {

inline constexpr const char* kDefaultApiUrl = "https://api.telegram.org";
inline constexpr int64_t kDefaultTimeoutMs = 10000;

struct TelegramSettings {
  common::net::TargetUrl send_url;  // <api_url>/bot<token>/sendMessage: holds the token
  common::net::TargetUrl photo_url; // <api_url>/bot<token>/sendPhoto: holds the token
  std::string api_origin;           // for the log, without the token
  nlohmann::json chat_id;           // an integer, or "@channelname"
  std::optional<int64_t> message_thread_id;
  bool silent = false;
  common::text::EventTemplates templates; // title, message
  int64_t timeout_ms = kDefaultTimeoutMs;
};

// Throws sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_settings", "notifier.telegram settings: /...")
// naming the field; never repeats the bot token.
TelegramSettings parseTelegramSettings(const std::string& settings_json);

} // namespace bambuddy::notifier_telegram
