// notifier.discord: posts each notification to a Discord channel webhook as an embed. One attempt
// per send(); the core owns retries, and reads Discord's rate-limit answers from the result.
#pragma once

#include "discord_settings.h"
#include "net/curl_handle.h"
#include "net/http_attempt.h"
#include "text/notification.h"

#include <bambuddy/sdk.hpp>
#include <bambuddy_plugin_schemas.h>

#include <string>
#include <vector>

namespace bambuddy::notifier_discord {

inline constexpr const char* kUserAgent = "Bambuddy-Discord/1";

class DiscordNotifier : public sdk::Notifier {
public:
  static constexpr const char* kName = "notifier.discord";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "Posts notifications as embeds to a Discord channel webhook";
  static constexpr const char* kConfigSchema = bambuddy::plugin::kConfigSchemaJson;
  static constexpr const char* kInstanceSchema = bambuddy::plugin::kInstanceSchemaJson;

  DiscordNotifier(sdk::Host host, const std::string& config_json, const std::string& settings_json);

  // Thread-safe: everything it reads is fixed at construction, each call has its own curl handle.
  sdk::DeliveryResult send(const std::string& notification_json, int64_t deadline_ms) override;
  // The first image goes as the embed's image (multipart: payload_json and files[0]); when Discord
  // refuses the upload (400, 413), the embed goes alone in the same call if time is left.
  sdk::DeliveryResult sendWithAttachments(const std::string& notification_json,
                                          const std::vector<sdk::Attachment>& attachments,
                                          int64_t deadline_ms) override;
  std::string preview(const std::string& notification_json) override;

private:
  // The JSON-only attempt of one notification (the embed without an image).
  common::net::HttpAttempt textAttempt(const common::text::Notification& notification,
                                       int64_t remaining_ms) const;

  common::net::CurlGlobal curl_; // first member: initialised before, cleaned up after the rest
  sdk::Host host_;
  DiscordConfig config_;
  DiscordSettings settings_;
};

} // namespace bambuddy::notifier_discord
