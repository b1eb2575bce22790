// notifier.email's instance settings, parsed and checked (see schema/instance.schema.json).
#pragma once

#include "mail_address.h"
#include "net/target_url.h"
#include "text/event_templates.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bambuddy::notifier_email {

inline constexpr int64_t kDefaultTimeoutMs = 30000;

struct EmailSettings {
  common::net::TargetUrl server; // smtp:// or smtps://, no path
  bool starttls_required = true; // smtp:// only; smtps:// is TLS from the first byte anyway
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::string ca_file; // "" = the system's CA store
  bool tls_verify = true;
  Mailbox from;
  std::vector<std::string> to;
  common::text::EventTemplates templates; // subject, body
  int64_t timeout_ms = kDefaultTimeoutMs;

  bool implicitTls() const { return server.scheme == "smtps"; }
};

// Throws sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_settings", "notifier.email settings: /to/1
// address has no '@'") and the like; never echoes the password.
EmailSettings parseEmailSettings(const std::string& settings_json);

// The built-in body: the event's message plus a line saying where it came from.
std::string defaultBody(const std::string& event);

} // namespace bambuddy::notifier_email
