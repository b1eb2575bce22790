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

sdk::DeliveryResult NtfyNotifier::send(const std::string& notification_json, int64_t deadline_ms) {
  common::net::SendStart start = common::net::beginSend(notification_json, deadline_ms, host_.nowMs());
  if (start.early) {
    return *start.early;
  }
  NtfyMessage m = render(start.notification);

  common::net::HttpAttempt attempt;
  attempt.target = settings_.publish_url;
  attempt.body = m.message;
  attempt.headers.push_back("Content-Type: text/plain; charset=utf-8");
  if (!m.title.empty()) {
    attempt.headers.push_back("Title: " + common::text::headerText(m.title));
  }
  attempt.headers.push_back("Priority: " + std::to_string(m.priority));
  if (!m.tags.empty()) {
    std::string joined;
    for (const std::string& tag : m.tags) {
      joined += (joined.empty() ? "" : ",") + tag;
    }
    attempt.headers.push_back("Tags: " + common::text::headerText(joined));
  }
  if (!m.click.empty()) {
    attempt.headers.push_back("Click: " + common::text::headerText(m.click));
  }
  if (settings_.token) {
    attempt.headers.push_back("Authorization: Bearer " + *settings_.token);
  }
  attempt.user_agent = kUserAgent;
  attempt.timeout_ms = std::min(settings_.timeout_ms, start.remaining_ms);
  common::net::HttpExchange exchange = common::net::performPost(attempt, policy_);
  return common::net::deliveryResult(exchange, host_.nowMs(), attempt.timeout_ms);
}

} // namespace bambuddy::notifier_ntfy
