// One SMTP submission with libcurl, guarded like the HTTP notifiers (every address of the server
// checked, the connection pinned to them), and its mapping to a DeliveryResult: a 4xx reply is
// Retryable, a 5xx reply Permanent.
#pragma once

#include "net/guarded_transfer.h"
#include "net/ssrf_guard.h"
#include "net/target_url.h"

#include <bambuddy/sdk.hpp>

#include <curl/curl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bambuddy::notifier_email {

struct SmtpAttempt {
  common::net::TargetUrl server;
  bool starttls_required = true;
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::string ca_file;
  bool tls_verify = true;
  std::string mail_from;               // bare address
  std::vector<std::string> recipients; // bare addresses
  std::string message;                 // the whole RFC 5322 message, CRLF line ends
  int64_t timeout_ms = 30000;
};

struct SmtpExchange {
  CURLcode code = CURLE_OK;
  long reply_code = 0;             // the last SMTP reply code curl saw
  std::string last_reply;          // that reply's text as the server sent it (bounded)
  std::string transport_error;     // curl's text when code != CURLE_OK
  common::net::GuardFailure guard; // set when the SSRF guard stopped the attempt
};

SmtpExchange performSmtp(const SmtpAttempt& attempt, const common::net::SsrfPolicy& policy);

sdk::DeliveryResult smtpDeliveryResult(const SmtpExchange& exchange, int64_t timeout_ms);

} // namespace bambuddy::notifier_email
