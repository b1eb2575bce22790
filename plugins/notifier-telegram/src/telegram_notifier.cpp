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

size_t TelegramText::visibleUnits() const {
  const std::string visible = title.empty() ? message : title + "\n" + message;
  size_t units = 0;
  for (unsigned char c : visible) {
    if ((c & 0xC0) != 0x80) {
      units += c >= 0xF0 ? 2 : 1; // a 4-byte sequence is a surrogate pair in UTF-16
    }
  }
  return units;
}

TelegramText TelegramNotifier::text(const common::text::Notification& n) const {
  auto lookup = [&](const std::string& name) { return n.field(name); };
  TelegramText t;
  // Cut before escaping, so a cut never separates a backslash from the character it escapes.
  t.title = common::text::utf8Snippet(
      common::text::singleLine(settings_.templates.first(n.event).render(lookup)), kMaxTitleBytes);
  t.message = common::text::utf8Snippet(settings_.templates.second(n.event).render(lookup), kMaxMessageBytes);
  t.markdown = t.title.empty() ? escapeMarkdownV2(t.message)
                               : "*" + escapeMarkdownV2(t.title) + "*\n" + escapeMarkdownV2(t.message);
  return t;
}

nlohmann::json TelegramNotifier::request(const TelegramText& text) const {
  nlohmann::json body = {{"chat_id", settings_.chat_id},
                         {"text", text.markdown},
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

common::net::HttpAttempt TelegramNotifier::messageAttempt(const TelegramText& text,
                                                          int64_t remaining_ms) const {
  common::net::HttpAttempt attempt;
  attempt.target = settings_.send_url;
  attempt.body = request(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  attempt.headers.push_back("Content-Type: application/json");
  attempt.user_agent = kUserAgent;
  attempt.timeout_ms = std::min(settings_.timeout_ms, remaining_ms);
  return attempt;
}

sdk::DeliveryResult TelegramNotifier::send(const std::string& notification_json, int64_t deadline_ms) {
  common::net::SendStart start = common::net::beginSend(notification_json, deadline_ms, host_.nowMs());
  if (start.early) {
    return *start.early;
  }
  common::net::HttpAttempt attempt = messageAttempt(text(start.notification), start.remaining_ms);
  common::net::HttpExchange exchange = common::net::performPost(attempt, policy_);
  static const common::net::ServiceAnswerRules kRules = telegramRules();
  return common::net::serviceDeliveryResult(exchange, host_.nowMs(), attempt.timeout_ms, kRules);
}

sdk::DeliveryResult TelegramNotifier::sendWithAttachments(const std::string& notification_json,
                                                          const std::vector<sdk::Attachment>& attachments,
                                                          int64_t deadline_ms) {
  common::net::SendStart start = common::net::beginSend(notification_json, deadline_ms, host_.nowMs());
  if (start.early) {
    return *start.early;
  }
  static const common::net::ServiceAnswerRules kRules = telegramRules();
  const TelegramText t = text(start.notification);
  common::net::HttpAttempt message = messageAttempt(t, start.remaining_ms);
  if (t.visibleUnits() > kMaxCaptionUnits) {
    // Too long for a caption: the text matters more than the picture.
    common::net::HttpExchange exchange = common::net::performPost(message, policy_);
    return common::net::serviceDeliveryResult(exchange, host_.nowMs(), message.timeout_ms, kRules);
  }
  const sdk::Attachment& image = attachments.front();
  common::net::HttpAttempt photo;
  photo.target = settings_.photo_url;
  photo.user_agent = kUserAgent;
  photo.timeout_ms = message.timeout_ms;
  const std::string chat_id =
      settings_.chat_id.is_string() ? settings_.chat_id.get<std::string>() : settings_.chat_id.dump();
  photo.parts.push_back({"chat_id", chat_id, "", ""});
  if (settings_.message_thread_id) {
    photo.parts.push_back({"message_thread_id", std::to_string(*settings_.message_thread_id), "", ""});
  }
  photo.parts.push_back(
      {"photo", std::string(image.data), std::string(image.filename), std::string(image.content_type)});
  photo.parts.push_back({"caption", t.markdown, "", ""});
  photo.parts.push_back({"parse_mode", "MarkdownV2", "", ""});
  if (settings_.silent) {
    photo.parts.push_back({"disable_notification", "true", "", ""});
  }
  common::net::UploadExchange sent = common::net::performUpload(photo, std::move(message), policy_);
  if (sent.refused_status != 0) {
    host_.warn("Telegram refused the photo (HTTP " + std::to_string(sent.refused_status) +
               "); the message was sent without it");
  }
  return common::net::serviceDeliveryResult(sent.exchange, host_.nowMs(), sent.timeout_ms, kRules);
}

std::string TelegramNotifier::preview(const std::string& notification_json) {
  return common::net::previewText(notification_json, [&](const common::text::Notification& n) {
    TelegramText t = text(n);
    return nlohmann::json{
        {"title", t.title}, {"message", t.message}, {"format", "MarkdownV2"}, {"body", t.markdown}};
  });
}

} // namespace bambuddy::notifier_telegram
