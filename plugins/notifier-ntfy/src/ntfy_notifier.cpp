#include "ntfy_notifier.h"

#include "net/delivery.h"
#include "net/http_attempt.h"
#include "text/rfc2047.h"
#include "text/utf8.h"

#include <algorithm>

namespace bambuddy::notifier_ntfy {
namespace {

// `text` percent-encoded for use inside a URL (RFC 3986 unreserved characters stay).
std::string percentEncode(const std::string& text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

// The message as one header value: ntfy turns a literal "\\n" in the Message header back into a
// line break, so line ends become that; other controls become spaces, and non-ASCII text becomes
// RFC 2047 encoded words, which ntfy decodes.
std::string messageHeaderValue(const std::string& message) {
  std::string escaped;
  for (size_t i = 0; i < message.size(); ++i) {
    if (message[i] == '\r' || message[i] == '\n') {
      escaped += "\\n";
      if (message[i] == '\r' && i + 1 < message.size() && message[i + 1] == '\n') {
        ++i;
      }
    } else {
      escaped += message[i];
    }
  }
  return common::text::headerText(common::text::singleLine(escaped));
}

} // namespace

NtfyNotifier::NtfyNotifier(sdk::Host host, const std::string& config_json, const std::string& settings_json)
    : host_(host), policy_(common::net::policyFromPluginConfig(config_json, kName)),
      settings_(parseNtfySettings(settings_json)) {
  // Not the topic: on a public server knowing it is enough to read the messages.
  host_.info("publishing to an ntfy topic on " + settings_.publish_url.scheme + "://" +
             common::net::hostPort(settings_.publish_url.host, settings_.publish_url.port) +
             (settings_.token ? " with an access token" : ""));
}

NtfyMessage NtfyNotifier::render(const common::text::Notification& n) const {
  auto lookup = [&](const std::string& name) { return n.field(name); };
  NtfyMessage m;
  // Headers carry the title: one line, bounded, and valid UTF-8 before it is RFC 2047 encoded.
  m.title = common::text::utf8Snippet(
      common::text::singleLine(settings_.templates.first(n.event).render(lookup)), kMaxTitleBytes);
  m.message = common::text::utf8Snippet(settings_.templates.second(n.event).render(lookup), kMaxMessageBytes);
  m.priority = settings_.priorityFor(n.event);
  m.tags = settings_.tagsFor(n.event);
  if (settings_.click) {
    // Values land inside a URL, so they are percent-encoded; the template's own text is kept.
    m.click = common::text::singleLine(settings_.click->render([&](const std::string& name) {
      auto value = n.field(name);
      return value ? std::optional<std::string>(percentEncode(*value)) : std::nullopt;
    }));
  }
  return m;
}

std::vector<std::string> NtfyNotifier::publishHeaders(const NtfyMessage& m) const {
  std::vector<std::string> headers;
  if (!m.title.empty()) {
    headers.push_back("Title: " + common::text::headerText(m.title));
  }
  headers.push_back("Priority: " + std::to_string(m.priority));
  if (!m.tags.empty()) {
    std::string joined;
    for (const std::string& tag : m.tags) {
      joined += (joined.empty() ? "" : ",") + tag;
    }
    headers.push_back("Tags: " + common::text::headerText(joined));
  }
  if (!m.click.empty()) {
    headers.push_back("Click: " + common::text::headerText(m.click));
  }
  if (settings_.token) {
    headers.push_back("Authorization: Bearer " + *settings_.token);
  }
  return headers;
}

common::net::HttpAttempt NtfyNotifier::textAttempt(const NtfyMessage& m, int64_t remaining_ms) const {
  common::net::HttpAttempt attempt;
  attempt.target = settings_.publish_url;
  attempt.body = m.message;
  attempt.headers.push_back("Content-Type: text/plain; charset=utf-8");
  for (std::string& line : publishHeaders(m)) {
    attempt.headers.push_back(std::move(line));
  }
  attempt.user_agent = kUserAgent;
  attempt.timeout_ms = std::min(settings_.timeout_ms, remaining_ms);
  return attempt;
}

sdk::DeliveryResult NtfyNotifier::send(const std::string& notification_json, int64_t deadline_ms) {
  common::net::SendStart start = common::net::beginSend(notification_json, deadline_ms, host_.nowMs());
  if (start.early) {
    return *start.early;
  }
  common::net::HttpAttempt attempt = textAttempt(render(start.notification), start.remaining_ms);
  common::net::HttpExchange exchange = common::net::performPost(attempt, policy_);
  return common::net::deliveryResult(exchange, host_.nowMs(), attempt.timeout_ms);
}

sdk::DeliveryResult NtfyNotifier::sendWithAttachments(const std::string& notification_json,
                                                      const std::vector<sdk::Attachment>& attachments,
                                                      int64_t deadline_ms) {
  common::net::SendStart start = common::net::beginSend(notification_json, deadline_ms, host_.nowMs());
  if (start.early) {
    return *start.early;
  }
  const NtfyMessage m = render(start.notification);
  const sdk::Attachment& image = attachments.front();
  common::net::HttpAttempt text = textAttempt(m, start.remaining_ms);
  common::net::HttpAttempt upload;
  upload.target = settings_.publish_url;
  upload.method = "PUT"; // ntfy's documented way to attach a local file
  upload.body = std::string(image.data);
  upload.headers.push_back("Content-Type: " + std::string(image.content_type));
  upload.headers.push_back("Filename: " + std::string(image.filename));
  if (!m.message.empty()) {
    upload.headers.push_back("Message: " + messageHeaderValue(m.message));
  }
  for (std::string& line : publishHeaders(m)) {
    upload.headers.push_back(std::move(line));
  }
  upload.user_agent = kUserAgent;
  upload.timeout_ms = text.timeout_ms;
  common::net::UploadExchange sent = common::net::performUpload(upload, std::move(text), policy_);
  if (sent.refused_status != 0) {
    host_.warn("the ntfy server refused the image (HTTP " + std::to_string(sent.refused_status) +
               "); the message was sent without it");
  }
  return common::net::deliveryResult(sent.exchange, host_.nowMs(), sent.timeout_ms);
}

std::string NtfyNotifier::preview(const std::string& notification_json) {
  return common::net::previewText(notification_json, [&](const common::text::Notification& n) {
    NtfyMessage m = render(n);
    nlohmann::json out = {
        {"title", m.title}, {"message", m.message}, {"priority", m.priority}, {"tags", m.tags}};
    if (!m.click.empty()) {
      out["click"] = m.click;
    }
    return out;
  });
}

} // namespace bambuddy::notifier_ntfy
