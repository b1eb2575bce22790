#include "ha_notifier.h"

#include "net/delivery.h"
#include "net/plugin_config.h"
#include "net/service_result.h"
#include "text/utf8.h"

#include <algorithm>

namespace bambuddy::notifier_homeassistant {
namespace {

common::net::ServiceAnswerRules homeAssistantRules() {
  common::net::ServiceAnswerRules rules;
  rules.service = "Home Assistant";
  // {"message": "Service notify.x not found."}, or plain text such as "401: Unauthorized"
  rules.read_error = common::net::detailFromField("message");
  rules.plain_text_detail = true;
  rules.hint = [](long status) -> std::string {
    switch (status) {
    case 400:
      return "Home Assistant refused the call (an unknown service, or data it does not accept)";
    case 401:
      return "the token is not valid (create a long-lived access token in your Home Assistant profile)";
    case 403:
      return "the token's user may not call this service";
    case 404:
      return "no Home Assistant API at this url";
    default:
      return "";
    }
  };
  return rules;
}

} // namespace

HomeAssistantNotifier::HomeAssistantNotifier(sdk::Host host, const std::string& config_json,
                                             const std::string& settings_json)
    : host_(host), policy_(common::net::policyFromPluginConfig(config_json, kName)),
      settings_(parseHomeAssistantSettings(settings_json)) {
  host_.info("calling " + settings_.service + " on Home Assistant at " +
             common::net::originOf(settings_.service_url));
}

nlohmann::json HomeAssistantNotifier::serviceCall(const common::text::Notification& n) const {
  auto lookup = [&](const std::string& name) { return n.field(name); };
  nlohmann::json call = {
      {"title",
       common::text::utf8Snippet(common::text::singleLine(settings_.templates.first(n.event).render(lookup)),
                                 kMaxTitleBytes)},
      {"message",
       common::text::utf8Snippet(settings_.templates.second(n.event).render(lookup), kMaxMessageBytes)}};
  if (std::optional<nlohmann::json> data = settings_.dataFor(n.event)) {
    call["data"] = *data;
  }
  return call;
}

sdk::DeliveryResult HomeAssistantNotifier::send(const std::string& notification_json, int64_t deadline_ms) {
  common::net::SendStart start = common::net::beginSend(notification_json, deadline_ms, host_.nowMs());
  if (start.early) {
    return *start.early;
  }
  common::net::HttpAttempt attempt;
  attempt.target = settings_.service_url;
  attempt.body =
      serviceCall(start.notification).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  attempt.headers.push_back("Content-Type: application/json");
  attempt.headers.push_back("Authorization: Bearer " + settings_.token);
  attempt.user_agent = kUserAgent;
  attempt.timeout_ms = std::min(settings_.timeout_ms, start.remaining_ms);
  common::net::HttpExchange exchange = common::net::performPost(attempt, policy_);
  static const common::net::ServiceAnswerRules kRules = homeAssistantRules();
  return common::net::serviceDeliveryResult(exchange, host_.nowMs(), attempt.timeout_ms, kRules);
}

std::string HomeAssistantNotifier::preview(const std::string& notification_json) {
  return common::net::previewText(notification_json, [&](const common::text::Notification& n) {
    nlohmann::json out = serviceCall(n);
    out["service"] = settings_.service; // the token never shows
    return out;
  });
}

} // namespace bambuddy::notifier_homeassistant
