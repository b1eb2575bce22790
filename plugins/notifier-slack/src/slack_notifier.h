// notifier.slack: posts each notification to a Slack incoming webhook as a Block Kit message. One
// attempt per send(); the core owns retries.
#pragma once

#include "net/curl_handle.h"
#include "slack_settings.h"

#include <bambuddy/sdk.hpp>
#include <bambuddy_plugin_schemas.h>

#include <string>

namespace bambuddy::notifier_slack {

inline constexpr const char* kUserAgent = "Bambuddy-Slack/1";

class SlackNotifier : public sdk::Notifier {
public:
  static constexpr const char* kName = "notifier.slack";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Posts notifications as Block Kit messages to a Slack incoming webhook";
  static constexpr const char* kConfigSchema = bambuddy::plugin::kConfigSchemaJson;
  static constexpr const char* kInstanceSchema = bambuddy::plugin::kInstanceSchemaJson;

  SlackNotifier(sdk::Host host, const std::string& config_json, const std::string& settings_json);

  // Thread-safe: everything it reads is fixed at construction, each call has its own curl handle.
  sdk::DeliveryResult send(const std::string& notification_json, int64_t deadline_ms) override;
  // Incoming webhooks take no files: images are not sent (the SDK's default sends the text).
  std::string preview(const std::string& notification_json) override;

private:
  common::net::CurlGlobal curl_; // first member: initialised before, cleaned up after the rest
  sdk::Host host_;
  SlackConfig config_;
  SlackSettings settings_;
};

} // namespace bambuddy::notifier_slack
