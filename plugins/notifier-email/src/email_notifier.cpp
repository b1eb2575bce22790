#include "email_notifier.h"

#include "mime_message.h"
#include "net/delivery.h"
#include "smtp_attempt.h"

#include <algorithm>

namespace bambuddy::notifier_email {
EmailNotifier::EmailNotifier(sdk::Host host, const std::string& config_json, const std::string& settings_json)
    : host_(host), policy_(common::net::policyFromPluginConfig(config_json, kName)),
      settings_(parseEmailSettings(settings_json)) {
  const char* security = settings_.implicitTls()       ? "implicit TLS"
                         : settings_.starttls_required ? "STARTTLS required"
                                                       : "no TLS";
  host_.info("e-mail via " + settings_.server.scheme + "://" +
             common::net::hostPort(settings_.server.host, settings_.server.port) + " (" + security +
             (settings_.tls_verify ? "" : ", certificate NOT verified") + ") to " +
             std::to_string(settings_.to.size()) + " recipient(s)");
  if (settings_.password && !settings_.implicitTls() && !settings_.starttls_required) {
    host_.warn("notifier.email: the SMTP password will cross the network unencrypted (starttls is \"none\")");
  }
}

MailContent EmailNotifier::content(const common::text::Notification& n, int64_t now_ms) const {
  auto lookup = [&](const std::string& name) { return n.field(name); };
  MailContent c;
  c.from = settings_.from;
  c.to = settings_.to;
  c.subject = settings_.templates.first(n.event).render(lookup);
  c.body = settings_.templates.second(n.event).render(lookup);
  // The same notification keeps the same Message-ID across retries, so duplicates can be spotted.
  c.message_id = messageIdFor(n.id, settings_.from.domain());
  c.date_ms = now_ms;
  c.event = n.event;
  return c;
}

sdk::DeliveryResult EmailNotifier::send(const std::string& notification_json, int64_t deadline_ms) {
  return deliver(notification_json, deadline_ms, {});
}

sdk::DeliveryResult EmailNotifier::sendWithAttachments(const std::string& notification_json,
                                                       const std::vector<sdk::Attachment>& attachments,
                                                       int64_t deadline_ms) {
  return deliver(notification_json, deadline_ms, attachments);
}

sdk::DeliveryResult EmailNotifier::deliver(const std::string& notification_json, int64_t deadline_ms,
                                           const std::vector<sdk::Attachment>& attachments) {
  const int64_t now_ms = host_.nowMs();
  common::net::SendStart start = common::net::beginSend(notification_json, deadline_ms, now_ms);
  if (start.early) {
    return *start.early;
  }
  MailContent c = content(start.notification, now_ms);
  for (const sdk::Attachment& a : attachments) {
    c.attachments.push_back({a.filename, a.content_type, a.data});
  }
  SmtpAttempt attempt;
  attempt.server = settings_.server;
  attempt.starttls_required = settings_.starttls_required;
  attempt.username = settings_.username;
  attempt.password = settings_.password;
  attempt.ca_file = settings_.ca_file;
  attempt.tls_verify = settings_.tls_verify;
  attempt.mail_from = settings_.from.address;
  attempt.recipients = settings_.to;
  attempt.message = buildMessage(c);
  attempt.timeout_ms = std::min(settings_.timeout_ms, start.remaining_ms);
  return smtpDeliveryResult(performSmtp(attempt, policy_), attempt.timeout_ms);
}

std::string EmailNotifier::preview(const std::string& notification_json) {
  return common::net::previewText(notification_json, [&](const common::text::Notification& n) {
    MailContent c = content(n, host_.nowMs());
    return nlohmann::json{{"title", subjectLine(c)},
                          {"message", bodyText(c)},
                          {"from", c.from.display_name.empty()
                                       ? c.from.address
                                       : c.from.display_name + " <" + c.from.address + ">"},
                          {"to", c.to}};
  });
}

} // namespace bambuddy::notifier_email
