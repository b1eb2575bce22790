#include "bark_notifier.h"

#include "net/delivery.h"
#include "net/plugin_config.h"
#include "net/service_result.h"
#include "text/utf8.h"

#include <algorithm>

namespace bambuddy::notifier_bark {
namespace {

common::net::ServiceAnswerRules barkRules() {
  common::net::ServiceAnswerRules rules;
  rules.service = "Bark";
  // {"code": 400, "message": "failed to get device token: ...", "timestamp": 1705329000}
  rules.read_error = common::net::detailFromField("message");
  rules.plain_text_detail = true;
  rules.hint = [](long status) -> std::string {
    switch (status) {
    case 400:
      return "Bark refused the push (an unknown device_key, or the app was reinstalled)";
    case 401:
    case 403:
      return "the Bark server refused access";
    case 404:
      return "no Bark API at this server URL";
    default:
      return "";
    }
  };
  return rules;
}

} // namespace

BarkNotifier::BarkNotifier(sdk::Host host, const std::string& config_json, const std::string& settings_json)
    : host_(host), policy_(common::net::policyFromPluginConfig(config_json, kName)),
      settings_(parseBarkSettings(settings_json)) {
  host_.info("pushing through the Bark server on " + common::net::originOf(settings_.push_url));
}

nlohmann::json BarkNotifier::push(const common::text::Notification& n) const {
  auto lookup = [&](const std::string& name) { return n.field(name); };
  nlohmann::json body = {
      {"device_key", settings_.device_key},
      {"title",
       common::text::utf8Snippet(common::text::singleLine(settings_.templates.first(n.event).render(lookup)),
                                 kMaxTitleBytes)},
      {"body", common::text::utf8Snippet(settings_.templates.second(n.event).render(lookup), kMaxBodyBytes)},
      {"level", settings_.levelFor(n.event)}};
  if (settings_.group) {
    body["group"] = *settings_.group;
  }
  if (settings_.sound) {
    body["sound"] = *settings_.sound;
  }
  return body;
}

sdk::DeliveryResult BarkNotifier::send(const std::string& notification_json, int64_t deadline_ms) {
  common::net::SendStart start = common::net::beginSend(notification_json, deadline_ms, host_.nowMs());
  if (start.early) {
    return *start.early;
  }
  common::net::HttpAttempt attempt;
  attempt.target = settings_.push_url;
  attempt.body = push(start.notification).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  attempt.headers.push_back("Content-Type: application/json; charset=utf-8");
  attempt.user_agent = kUserAgent;
  attempt.timeout_ms = std::min(settings_.timeout_ms, start.remaining_ms);
  common::net::HttpExchange exchange = common::net::performPost(attempt, policy_);
  static const common::net::ServiceAnswerRules kRules = barkRules();
  return common::net::serviceDeliveryResult(exchange, host_.nowMs(), attempt.timeout_ms, kRules);
}

std::string BarkNotifier::preview(const std::string& notification_json) {
  return common::net::previewText(notification_json, [&](const common::text::Notification& n) {
    nlohmann::json sent = push(n);
    nlohmann::json out = {{"title", sent["title"]}, {"message", sent["body"]}, {"level", sent["level"]}};
    for (const char* key : {"group", "sound"}) {
      if (sent.contains(key)) {
        out[key] = sent[key];
      }
    }
    return out; // never the device key
  });
}

} // namespace bambuddy::notifier_bark
