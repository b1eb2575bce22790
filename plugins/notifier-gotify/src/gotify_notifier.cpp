#include "gotify_notifier.h"

#include "markdown_text.h"
#include "net/delivery.h"
#include "net/plugin_config.h"
#include "net/service_result.h"
#include "text/event_facts.h"
#include "text/utf8.h"

#include <algorithm>

namespace bambuddy::notifier_gotify {
namespace {

common::net::ServiceAnswerRules gotifyRules() {
  common::net::ServiceAnswerRules rules;
  rules.service = "Gotify";
  // {"error": "Unauthorized", "errorCode": 401, "errorDescription": "you need to provide a valid ..."}
  rules.read_error = common::net::detailFromField("errorDescription");
  rules.hint = [](long status) -> std::string {
    switch (status) {
    case 400:
      return "Gotify refused the message";
    case 401:
    case 403:
      return "the app_token is not valid (use an application token, not a client token)";
    case 404:
      return "no Gotify API at this server URL (check the path prefix)";
    default:
      return "";
    }
  };
  return rules;
}

} // namespace

GotifyNotifier::GotifyNotifier(sdk::Host host, const std::string& config_json,
                               const std::string& settings_json)
    : host_(host), policy_(common::net::policyFromPluginConfig(config_json, kName)),
      settings_(parseGotifySettings(settings_json)) {
  host_.info("pushing to Gotify on " + common::net::originOf(settings_.message_url));
}

std::pair<std::string, std::string> GotifyNotifier::text(const common::text::Notification& n) const {
  auto lookup = [&](const std::string& name) { return n.field(name); };
  return {common::text::utf8Snippet(
              common::text::singleLine(settings_.templates.first(n.event).render(lookup)), kMaxTitleBytes),
          common::text::utf8Snippet(settings_.templates.second(n.event).render(lookup), 4096)};
}

nlohmann::json GotifyNotifier::message(const common::text::Notification& n) const {
  // The title is shown as plain text; the message is Markdown, so the rendered text is escaped
  // and the facts are added as a list in Markdown of our own.
  auto [title, plain] = this->text(n);
  std::string text = escapeMarkdown(plain);
  std::vector<common::text::EventFact> facts = common::text::eventFacts(n);
  if (!facts.empty()) {
    text += "\n";
    for (const common::text::EventFact& fact : facts) {
      text += "\n- **" + fact.name + ":** " + escapeMarkdown(fact.value);
    }
  }
  return {{"title", title},
          {"message", common::text::utf8Snippet(text, kMaxMessageBytes)},
          {"priority", settings_.priorityFor(n.event)},
          {"extras", {{"client::display", {{"contentType", "text/markdown"}}}}}};
}

sdk::DeliveryResult GotifyNotifier::send(const std::string& notification_json, int64_t deadline_ms) {
  common::net::SendStart start = common::net::beginSend(notification_json, deadline_ms, host_.nowMs());
  if (start.early) {
    return *start.early;
  }
  common::net::HttpAttempt attempt;
  attempt.target = settings_.message_url;
  attempt.body = message(start.notification).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  attempt.headers.push_back("Content-Type: application/json");
  attempt.headers.push_back("X-Gotify-Key: " + settings_.app_token);
  attempt.user_agent = kUserAgent;
  attempt.timeout_ms = std::min(settings_.timeout_ms, start.remaining_ms);
  common::net::HttpExchange exchange = common::net::performPost(attempt, policy_);
  static const common::net::ServiceAnswerRules kRules = gotifyRules();
  return common::net::serviceDeliveryResult(exchange, host_.nowMs(), attempt.timeout_ms, kRules);
}

std::string GotifyNotifier::preview(const std::string& notification_json) {
  return common::net::previewText(notification_json, [&](const common::text::Notification& n) {
    nlohmann::json sent = message(n);
    nlohmann::json fields = nlohmann::json::array();
    for (const common::text::EventFact& fact : common::text::eventFacts(n)) {
      fields.push_back({{"name", fact.name}, {"value", fact.value}});
    }
    return nlohmann::json{{"title", sent["title"]}, {"message", text(n).second},
                          {"fields", fields},       {"priority", sent["priority"]},
                          {"format", "markdown"},   {"body", sent["message"]}};
  });
}

} // namespace bambuddy::notifier_gotify
