#include "matrix_notifier.h"

#include "html_text.h"
#include "net/delivery.h"
#include "net/service_result.h"
#include "text/percent_encode.h"
#include "text/utf8.h"

#include <algorithm>

namespace bambuddy::notifier_matrix {
namespace {

common::net::ServiceAnswerRules matrixRules() {
  common::net::ServiceAnswerRules rules;
  rules.service = "the Matrix homeserver";
  // {"errcode": "M_LIMIT_EXCEEDED", "error": "Too Many Requests", "retry_after_ms": 2000}
  rules.read_error = [](const nlohmann::json& body) {
    common::net::ServiceError e;
    if (!body.is_object()) {
      return e;
    }
    if (auto c = body.find("errcode"); c != body.end() && c->is_string()) {
      e.detail = c->get<std::string>();
    }
    if (auto m = body.find("error"); m != body.end() && m->is_string()) {
      e.detail += (e.detail.empty() ? "" : ": ") + m->get<std::string>();
    }
    if (auto r = body.find("retry_after_ms"); r != body.end() && r->is_number() && r->get<double>() >= 0) {
      e.retry_after_ms = common::net::retrySecondsToMs(r->get<double>() / 1000.0);
    }
    return e;
  };
  rules.hint = [](long status) -> std::string {
    switch (status) {
    case 400:
      return "the homeserver refused the message";
    case 401:
      return "the access_token is not valid (logged out or revoked)";
    case 403:
      return "the account may not post in this room (not joined, or no permission)";
    case 404:
      return "no such room, or no Matrix client API at this homeserver URL";
    default:
      return "";
    }
  };
  return rules;
}

} // namespace

std::string transactionId(const std::string& event_id) {
  return "bambuddy." + event_id; // percent-encoded where it goes into the path
}

MatrixNotifier::MatrixNotifier(sdk::Host host, const std::string& config_json,
                               const std::string& settings_json)
    : host_(host), policy_(common::net::policyFromPluginConfig(config_json, kName)),
      settings_(parseMatrixSettings(settings_json)) {
  host_.info("sending to Matrix room " + settings_.room_id + " through " + settings_.homeserver_origin);
}

std::pair<std::string, std::string> MatrixNotifier::text(const common::text::Notification& n) const {
  auto lookup = [&](const std::string& name) { return n.field(name); };
  return {common::text::utf8Snippet(
              common::text::singleLine(settings_.templates.first(n.event).render(lookup)), kMaxTitleBytes),
          common::text::utf8Snippet(settings_.templates.second(n.event).render(lookup), kMaxMessageBytes)};
}

nlohmann::json MatrixNotifier::message(const common::text::Notification& n) const {
  auto [title, text] = this->text(n);
  std::string body = title.empty() ? text : title + "\n" + text;
  std::string html =
      title.empty() ? escapeHtml(text) : "<b>" + escapeHtml(title) + "</b><br>" + escapeHtml(text);
  return {{"msgtype", settings_.msgtype},
          {"body", body},
          {"format", "org.matrix.custom.html"},
          {"formatted_body", html}};
}

sdk::DeliveryResult MatrixNotifier::send(const std::string& notification_json, int64_t deadline_ms) {
  common::net::SendStart start = common::net::beginSend(notification_json, deadline_ms, host_.nowMs());
  if (start.early) {
    return *start.early;
  }
  common::net::HttpAttempt attempt;
  try {
    attempt.target = common::net::parseTargetUrl(
        settings_.homeserver + "/_matrix/client/v3/rooms/" + common::text::percentEncode(settings_.room_id) +
            "/send/m.room.message/" + common::text::percentEncode(transactionId(start.notification.id)),
        {"http", "https"});
  } catch (const std::invalid_argument& e) {
    // Only a very long event id can make the URL too long; it never becomes shorter.
    return common::net::failedDelivery(sdk::DeliveryResult::Outcome::Permanent,
                                       std::string("the request URL ") + e.what());
  }
  attempt.method = "PUT";
  attempt.body = message(start.notification).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  attempt.headers.push_back("Content-Type: application/json");
  attempt.headers.push_back("Authorization: Bearer " + settings_.access_token);
  attempt.user_agent = kUserAgent;
  attempt.timeout_ms = std::min(settings_.timeout_ms, start.remaining_ms);
  common::net::HttpExchange exchange = common::net::performPost(attempt, policy_);
  static const common::net::ServiceAnswerRules kRules = matrixRules();
  return common::net::serviceDeliveryResult(exchange, host_.nowMs(), attempt.timeout_ms, kRules);
}

std::string MatrixNotifier::preview(const std::string& notification_json) {
  return common::net::previewText(notification_json, [&](const common::text::Notification& n) {
    nlohmann::json sent = message(n);
    auto [title, text] = this->text(n);
    return nlohmann::json{
        {"title", title},           {"message", text},      {"msgtype", sent["msgtype"]},
        {"format", sent["format"]}, {"body", sent["body"]}, {"formatted_body", sent["formatted_body"]}};
  });
}

} // namespace bambuddy::notifier_matrix
