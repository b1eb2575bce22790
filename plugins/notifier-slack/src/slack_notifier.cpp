#include "slack_notifier.h"

#include "net/delivery.h"
#include "net/service_result.h"
#include "slack_message.h"

#include <algorithm>

namespace bambuddy::notifier_slack {
namespace {

common::net::ServiceAnswerRules slackRules() {
  common::net::ServiceAnswerRules rules;
  rules.service = "Slack";
  rules.plain_text_detail = true; // Slack answers errors as plain words: "no_service", "invalid_token"
  rules.hint = [](long status) -> std::string {
    switch (status) {
    case 400:
      return "Slack refused the message";
    case 401:
    case 403:
      return "the webhook is not allowed to post (revoked, or the app lost access to the channel)";
    case 404:
      return "the webhook does not exist (removed, or a wrong webhook_url)";
    case 410:
      return "the channel was archived or deleted";
    default:
      return "";
    }
  };
  return rules;
}

} // namespace

SlackNotifier::SlackNotifier(sdk::Host host, const std::string& config_json, const std::string& settings_json)
    : host_(host), config_(parseSlackConfig(config_json)),
      settings_(parseSlackSettings(settings_json, config_)) {
  // Never the URL's path: it is the credential.
  host_.info("posting to a Slack incoming webhook on " + common::net::originOf(settings_.webhook_url));
}

sdk::DeliveryResult SlackNotifier::send(const std::string& notification_json, int64_t deadline_ms) {
  common::net::SendStart start = common::net::beginSend(notification_json, deadline_ms, host_.nowMs());
  if (start.early) {
    return *start.early;
  }
  common::net::HttpAttempt attempt;
  attempt.target = settings_.webhook_url;
  attempt.body = slackMessage(start.notification, settings_)
                     .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  attempt.headers.push_back("Content-Type: application/json; charset=utf-8");
  attempt.user_agent = kUserAgent;
  attempt.timeout_ms = std::min(settings_.timeout_ms, start.remaining_ms);
  common::net::HttpExchange exchange = common::net::performPost(attempt, config_.policy);
  static const common::net::ServiceAnswerRules kRules = slackRules();
  return common::net::serviceDeliveryResult(exchange, host_.nowMs(), attempt.timeout_ms, kRules);
}

std::string SlackNotifier::preview(const std::string& notification_json) {
  return common::net::previewText(notification_json, [&](const common::text::Notification& n) {
    return slackPreview(slackText(n, settings_));
  });
}

} // namespace bambuddy::notifier_slack
