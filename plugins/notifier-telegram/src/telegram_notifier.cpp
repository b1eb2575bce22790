#include "telegram_notifier.h"

#include "markdown_v2.h"
#include "net/delivery.h"
#include "net/service_result.h"
#include "text/utf8.h"

#include <algorithm>

namespace bambuddy::notifier_telegram {
namespace {

common::net::ServiceAnswerRules telegramRules() {
  common::net::ServiceAnswerRules rules;
  rules.service = "Telegram";
  // {"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 5",
  //  "parameters": {"retry_after": 5}}; a group that became a supergroup answers 400 with
  // parameters.migrate_to_chat_id.
  rules.read_error = [](const nlohmann::json& body) {
    common::net::ServiceError e;
    if (!body.is_object()) {
      return e;
    }
    if (auto d = body.find("description"); d != body.end() && d->is_string()) {
      e.detail = d->get<std::string>();
    }
    if (auto p = body.find("parameters"); p != body.end() && p->is_object()) {
      if (auto r = p->find("retry_after"); r != p->end()) {
        e.retry_after_ms = common::net::retrySecondsToMs(*r);
      }
      if (auto m = p->find("migrate_to_chat_id"); m != p->end() && m->is_number_integer()) {
        e.detail += "; the group is now chat " + m->dump() + ", set chat_id to it";
      }
    }
    return e;
  };
  rules.hint = [](long status) -> std::string {
    switch (status) {
    case 400:
      return "Telegram refused the message (check chat_id and message_thread_id)";
    case 401:
      return "the bot token is not valid (revoked or mistyped)";
    case 403:
      return "the bot may not write to this chat (blocked, removed, or never started)";
    case 404:
      return "Telegram does not know this bot token or api_url";
    default:
      return "";
    }
  };
  return rules;
}

} // namespace

TelegramNotifier::TelegramNotifier(sdk::Host host, const std::string& config_json,
                                   const std::string& settings_json)
    : host_(host), policy_(common::net::policyFromPluginConfig(config_json, kName)),
      settings_(parseTelegramSettings(settings_json)) {
  // Never the request URL: it holds the bot token.
  host_.info("sending Telegram messages through " + settings_.api_origin);
}

nlohmann::json TelegramNotifier::request(const common::text::Notification& n) const {
  auto lookup = [&](const std::string& name) { return n.field(name); };
  // Cut before escaping, so a cut never separates a backslash from the character it escapes.
  std::string title = common::text::utf8Snippet(
      common::text::singleLine(settings_.templates.first(n.event).render(lookup)), kMaxTitleBytes);
  std::string message =
      common::text::utf8Snippet(settings_.templates.second(n.event).render(lookup), kMaxMessageBytes);
  std::string text = title.empty() ? escapeMarkdownV2(message)
                                   : "*" + escapeMarkdownV2(title) + "*\n" + escapeMarkdownV2(message);
  nlohmann::json body = {{"chat_id", settings_.chat_id},
                         {"text", text},
                         {"parse_mode", "MarkdownV2"},
                         {"link_preview_options", {{"is_disabled", true}}}};
  if (settings_.message_thread_id) {
    body["message_thread_id"] = *settings_.message_thread_id;
  }
  if (settings_.silent) {
    body["disable_notification"] = true;
  }
  return body;
}

sdk::DeliveryResult TelegramNotifier::send(const std::string& notification_json, int64_t deadline_ms) {
  common::net::SendStart start = common::net::beginSend(notification_json, deadline_ms, host_.nowMs());
  if (start.early) {
    return *start.early;
  }
  common::net::HttpAttempt attempt;
  attempt.target = settings_.send_url;
  attempt.body = request(start.notification).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  attempt.headers.push_back("Content-Type: application/json");
  attempt.user_agent = kUserAgent;
  attempt.timeout_ms = std::min(settings_.timeout_ms, start.remaining_ms);
  common::net::HttpExchange exchange = common::net::performPost(attempt, policy_);
  static const common::net::ServiceAnswerRules kRules = telegramRules();
  return common::net::serviceDeliveryResult(exchange, host_.nowMs(), attempt.timeout_ms, kRules);
}

} // namespace bambuddy::notifier_telegram
