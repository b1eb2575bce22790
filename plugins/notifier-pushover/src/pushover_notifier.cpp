#include "pushover_notifier.h"

#include "net/delivery.h"
#include "net/plugin_config.h"
#include "net/service_result.h"
#include "text/percent_encode.h"
#include "text/utf8.h"

#include <algorithm>

namespace bambuddy::notifier_pushover {
namespace {

common::net::ServiceAnswerRules pushoverRules() {
  common::net::ServiceAnswerRules rules;
  rules.service = "Pushover";
  // {"user": "invalid", "errors": ["user identifier is not a valid user, group, or subscribed user key"],
  //  "status": 0, "request": "..."}
  rules.read_error = [](const nlohmann::json& body) {
    common::net::ServiceError e;
    if (auto errors = body.find("errors"); body.is_object() && errors != body.end() && errors->is_array()) {
      for (const nlohmann::json& item : *errors) {
        if (item.is_string()) {
          e.detail += (e.detail.empty() ? "" : "; ") + item.get<std::string>();
        }
      }
    }
    return e;
  };
  rules.hint = [](long status) -> std::string {
    switch (status) {
    case 400:
      return "Pushover refused the message (check user_key, app_token and device)";
    case 401:
    case 403:
      return "Pushover refused the app_token";
    case 404:
      return "no Pushover messages API at api_url";
    default:
      return "";
    }
  };
  return rules;
}

} // namespace

PushoverNotifier::PushoverNotifier(sdk::Host host, const std::string& config_json,
                                   const std::string& settings_json)
    : host_(host), policy_(common::net::policyFromPluginConfig(config_json, kName)),
      settings_(parsePushoverSettings(settings_json)) {
  host_.info("sending through Pushover's API on " + common::net::originOf(settings_.api_url));
}

std::vector<std::pair<std::string, std::string>>
PushoverNotifier::fields(const common::text::Notification& n) const {
  auto lookup = [&](const std::string& name) { return n.field(name); };
  std::string title = common::text::utf8Snippet(
      common::text::singleLine(settings_.templates.first(n.event).render(lookup)), kMaxTitleBytes);
  std::string message =
      common::text::utf8Snippet(settings_.templates.second(n.event).render(lookup), kMaxMessageBytes);
  if (message.empty()) {
    message = n.event; // Pushover refuses an empty message
  }
  int priority = settings_.priorityFor(n.event);
  std::vector<std::pair<std::string, std::string>> out = {{"token", settings_.app_token},
                                                          {"user", settings_.user_key},
                                                          {"title", title},
                                                          {"message", message},
                                                          {"priority", std::to_string(priority)}};
  if (priority == 2) {
    out.emplace_back("retry", std::to_string(*settings_.retry_s));
    out.emplace_back("expire", std::to_string(*settings_.expire_s));
  }
  if (settings_.device) {
    out.emplace_back("device", *settings_.device);
  }
  if (settings_.sound) {
    out.emplace_back("sound", *settings_.sound);
  }
  return out;
}

common::net::HttpAttempt
PushoverNotifier::formAttempt(const std::vector<std::pair<std::string, std::string>>& fields,
                              int64_t remaining_ms) const {
  common::net::HttpAttempt attempt;
  attempt.target = settings_.api_url;
  for (const auto& [name, value] : fields) {
    attempt.body += (attempt.body.empty() ? "" : "&") + name + "=" + common::text::percentEncode(value);
  }
  attempt.headers.push_back("Content-Type: application/x-www-form-urlencoded");
  attempt.user_agent = kUserAgent;
  attempt.timeout_ms = std::min(settings_.timeout_ms, remaining_ms);
  return attempt;
}

sdk::DeliveryResult PushoverNotifier::send(const std::string& notification_json, int64_t deadline_ms) {
  common::net::SendStart start = common::net::beginSend(notification_json, deadline_ms, host_.nowMs());
  if (start.early) {
    return *start.early;
  }
  common::net::HttpAttempt attempt = formAttempt(fields(start.notification), start.remaining_ms);
  common::net::HttpExchange exchange = common::net::performPost(attempt, policy_);
  static const common::net::ServiceAnswerRules kRules = pushoverRules();
  return common::net::serviceDeliveryResult(exchange, host_.nowMs(), attempt.timeout_ms, kRules);
}

sdk::DeliveryResult PushoverNotifier::sendWithAttachments(const std::string& notification_json,
                                                          const std::vector<sdk::Attachment>& attachments,
                                                          int64_t deadline_ms) {
  const sdk::Attachment& image = attachments.front();
  if (image.data.size() > kMaxAttachmentBytes) {
    host_.debug("the image is larger than Pushover's 2.5 MB: sent without it");
    return send(notification_json, deadline_ms);
  }
  common::net::SendStart start = common::net::beginSend(notification_json, deadline_ms, host_.nowMs());
  if (start.early) {
    return *start.early;
  }
  const std::vector<std::pair<std::string, std::string>> form = fields(start.notification);
  common::net::HttpAttempt text = formAttempt(form, start.remaining_ms);
  common::net::HttpAttempt upload;
  upload.target = settings_.api_url;
  upload.user_agent = kUserAgent;
  upload.timeout_ms = text.timeout_ms;
  for (const auto& [name, value] : form) {
    upload.parts.push_back({name, value, "", ""});
  }
  upload.parts.push_back(
      {"attachment", std::string(image.data), std::string(image.filename), std::string(image.content_type)});
  common::net::UploadExchange sent = common::net::performUpload(upload, std::move(text), policy_);
  if (sent.refused_status != 0) {
    host_.warn("Pushover refused the image (HTTP " + std::to_string(sent.refused_status) +
               "); the message was sent without it");
  }
  static const common::net::ServiceAnswerRules kRules = pushoverRules();
  return common::net::serviceDeliveryResult(sent.exchange, host_.nowMs(), sent.timeout_ms, kRules);
}

std::string PushoverNotifier::preview(const std::string& notification_json) {
  return common::net::previewText(notification_json, [&](const common::text::Notification& n) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [name, value] : fields(n)) {
      if (name == "token" || name == "user") {
        continue; // the app token and user key are secrets
      }
      if (name == "priority" || name == "retry" || name == "expire") {
        out[name] = std::stoi(value);
      } else {
        out[name] = value;
      }
    }
    return out;
  });
}

} // namespace bambuddy::notifier_pushover
