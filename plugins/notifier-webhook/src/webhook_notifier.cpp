#include "webhook_notifier.h"

#include "net/delivery.h"
#include "net/http_attempt.h"
#include "webhook_signer.h"

#include <algorithm>

namespace bambuddy::notifier_webhook {
namespace {

using Outcome = sdk::DeliveryResult::Outcome;

// Unix seconds of a ms timestamp, rounding towards the past also before 1970.
int64_t floorSeconds(int64_t ms) {
  return ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
}

} // namespace

WebhookNotifier::WebhookNotifier(sdk::Host host, const std::string& config_json,
                                 const std::string& settings_json)
    : host_(host), policy_(common::net::policyFromPluginConfig(config_json, kName)),
      settings_(parseWebhookSettings(settings_json)) {
  // Host and port only: a webhook URL's path or query often is the credential (Slack, Discord).
  host_.info(std::string("webhook to ") + settings_.url.scheme + "://" +
             common::net::hostPort(settings_.url.host, settings_.url.port) +
             (settings_.secret_key ? ", signed" : ", unsigned") +
             (settings_.previous_secret_key ? " (rotation: previous secret until its expiry)" : ""));
}

std::vector<std::pair<std::string, std::string>>
WebhookNotifier::requestHeaders(const std::string& message_id, const std::string& body, int64_t now_ms,
                                bool describe) const {
  const int64_t timestamp_s = floorSeconds(now_ms);
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/json"},
      {"webhook-id", message_id},
      {"webhook-timestamp", describe ? "<Unix time of the attempt>" : std::to_string(timestamp_s)}};
  if (settings_.secret_key) {
    auto sign = [&](const std::string& key) {
      return describe ? std::string("v1,<computed when sent>")
                      : webhookSignature(key, message_id, timestamp_s, body);
    };
    std::string signatures = sign(*settings_.secret_key);
    if (settings_.previous_secret_key && now_ms < settings_.previous_secret_expires_ms) {
      signatures += " " + sign(*settings_.previous_secret_key);
    }
    headers.emplace_back("webhook-signature", signatures);
  }
  for (const auto& [name, value] : settings_.headers) {
    headers.emplace_back(name, describe ? "<secret>" : value);
  }
  return headers;
}

sdk::DeliveryResult WebhookNotifier::send(const std::string& notification_json, int64_t deadline_ms) {
  const int64_t now_ms = host_.nowMs();
  common::net::SendStart start = common::net::beginSend(notification_json, deadline_ms, now_ms);
  if (start.early) {
    return *start.early;
  }
  const common::text::Notification& notification = start.notification;
  if (settings_.secret_key && notification.id.find('.') != std::string::npos) {
    // Standard Webhooks delimits the signed fields with '.', so an id containing one is ambiguous.
    return common::net::failedDelivery(
        Outcome::Permanent, "notification id contains '.', which Standard Webhooks signing forbids");
  }

  common::net::HttpAttempt attempt;
  attempt.target = settings_.url;
  attempt.body = notification_json; // exactly the notification: the signature covers these bytes
  for (const auto& [name, value] : requestHeaders(notification.id, notification_json, now_ms, false)) {
    // curl drops a header given as "Name:" with nothing after it; "Name;" sends it empty.
    attempt.headers.push_back(value.empty() ? name + ";" : name + ": " + value);
  }
  attempt.user_agent = kUserAgent;
  attempt.timeout_ms = std::min(settings_.timeout_ms, start.remaining_ms);
  common::net::HttpExchange exchange = common::net::performPost(attempt, policy_);
  return common::net::deliveryResult(exchange, host_.nowMs(), attempt.timeout_ms);
}

std::string WebhookNotifier::preview(const std::string& notification_json) {
  return common::net::previewText(notification_json, [&](const common::text::Notification& n) {
    nlohmann::json headers = nlohmann::json::object();
    headers["User-Agent"] = kUserAgent;
    for (const auto& [name, value] : requestHeaders(n.id, notification_json, host_.nowMs(), true)) {
      headers[name] = value;
    }
    // The body is the notification exactly as send() would POST it.
    return nlohmann::json{{"title", ""}, {"message", notification_json}, {"headers", headers}};
  });
}

} // namespace bambuddy::notifier_webhook
