#include "discord_notifier.h"

#include "discord_message.h"
#include "net/delivery.h"
#include "net/service_result.h"

#include <algorithm>

namespace bambuddy::notifier_discord {
namespace {

common::net::ServiceAnswerRules discordRules() {
  common::net::ServiceAnswerRules rules;
  rules.service = "Discord";
  // {"message": "Unknown Webhook", "code": 10015} or, rate limited,
  // {"message": "You are being rate limited.", "retry_after": 0.64, "global": false}
  rules.read_error = [](const nlohmann::json& body) {
    common::net::ServiceError e;
    if (body.is_object()) {
      if (auto m = body.find("message"); m != body.end() && m->is_string()) {
        e.detail = m->get<std::string>();
      }
      if (auto r = body.find("retry_after"); r != body.end()) {
        e.retry_after_ms = common::net::retrySecondsToMs(*r);
      }
    }
    return e;
  };
  rules.hint = [](long status) -> std::string {
    switch (status) {
    case 400:
      return "Discord refused the message";
    case 401:
      return "the webhook token in webhook_url is not valid; copy the URL again";
    case 403:
      return "the webhook may not post to this channel";
    case 404:
      return "the webhook does not exist (deleted, or a wrong webhook_url)";
    default:
      return "";
    }
  };
  return rules;
}

} // namespace

DiscordNotifier::DiscordNotifier(sdk::Host host, const std::string& config_json,
                                 const std::string& settings_json)
    : host_(host), config_(parseDiscordConfig(config_json)),
      settings_(parseDiscordSettings(settings_json, config_)) {
  // Never the URL's path: it holds the webhook's token.
  host_.info("posting to a Discord webhook on " + common::net::originOf(settings_.webhook_url));
}

common::net::HttpAttempt DiscordNotifier::textAttempt(const common::text::Notification& notification,
                                                      int64_t remaining_ms) const {
  common::net::HttpAttempt attempt;
  attempt.target = settings_.webhook_url;
  attempt.body =
      discordMessage(notification, settings_).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  attempt.headers.push_back("Content-Type: application/json");
  attempt.user_agent = kUserAgent;
  attempt.timeout_ms = std::min(settings_.timeout_ms, remaining_ms);
  return attempt;
}

sdk::DeliveryResult DiscordNotifier::send(const std::string& notification_json, int64_t deadline_ms) {
  common::net::SendStart start = common::net::beginSend(notification_json, deadline_ms, host_.nowMs());
  if (start.early) {
    return *start.early;
  }
  common::net::HttpAttempt attempt = textAttempt(start.notification, start.remaining_ms);
  common::net::HttpExchange exchange = common::net::performPost(attempt, config_.policy);
  static const common::net::ServiceAnswerRules kRules = discordRules();
  return common::net::serviceDeliveryResult(exchange, host_.nowMs(), attempt.timeout_ms, kRules);
}

sdk::DeliveryResult DiscordNotifier::sendWithAttachments(const std::string& notification_json,
                                                         const std::vector<sdk::Attachment>& attachments,
                                                         int64_t deadline_ms) {
  common::net::SendStart start = common::net::beginSend(notification_json, deadline_ms, host_.nowMs());
  if (start.early) {
    return *start.early;
  }
  const sdk::Attachment& image = attachments.front();
  common::net::HttpAttempt text = textAttempt(start.notification, start.remaining_ms);
  common::net::HttpAttempt upload;
  upload.target = settings_.webhook_url;
  upload.user_agent = kUserAgent;
  upload.timeout_ms = text.timeout_ms;
  nlohmann::json payload = discordMessage(start.notification, settings_, std::string(image.filename));
  payload["attachments"] = {{{"id", 0}, {"filename", image.filename}}};
  upload.parts.push_back({"payload_json",
                          payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "",
                          "application/json"});
  upload.parts.push_back(
      {"files[0]", std::string(image.data), std::string(image.filename), std::string(image.content_type)});
  common::net::UploadExchange sent = common::net::performUpload(upload, std::move(text), config_.policy);
  if (sent.refused_status != 0) {
    host_.warn("Discord refused the image (HTTP " + std::to_string(sent.refused_status) +
               "); the message was sent without it");
  }
  static const common::net::ServiceAnswerRules kRules = discordRules();
  return common::net::serviceDeliveryResult(sent.exchange, host_.nowMs(), sent.timeout_ms, kRules);
}

std::string DiscordNotifier::preview(const std::string& notification_json) {
  return common::net::previewText(notification_json, [&](const common::text::Notification& n) {
    return discordPreview(discordMessage(n, settings_));
  });
}

} // namespace bambuddy::notifier_discord
