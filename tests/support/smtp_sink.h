// A real SMTP server for tests: tests/support/smtp_sink.py (aiosmtpd under /usr/bin/python3) as a
// child process on 127.0.0.1 with an ephemeral port, optionally with STARTTLS, AUTH and scripted
// rejections. Every accepted message is recorded as it arrived on the wire.
//
//   SmtpSink sink(tmp.path());
//   ASSERT_TRUE(sink.start()) << sink.log();
//   ... send to smtp://127.0.0.1:<sink.port()> ...
//   ASSERT_TRUE(sink.waitForMessages(1, 5000));
//   EXPECT_EQ(sink.messages()[0].header("Subject"), "Print finished");
#pragma once

#include "support/server_process.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace bambuddy::testing {

struct SmtpSinkOptions {
  std::string tls_cert; // with tls_key: STARTTLS is offered
  std::string tls_key;
  bool require_starttls = false; // refuse mail before STARTTLS
  bool implicit_tls = false;     // TLS from the first byte (smtps://) instead of STARTTLS
  std::string auth_user;         // non-empty: AUTH PLAIN/LOGIN accepted (over TLS only) for this login
  std::string auth_password;
  std::vector<std::pair<std::string, std::string>>
      reject_rcpt;        // address -> reply, e.g. "550 5.1.1 No such user"
  std::string data_reply; // non-empty: DATA is answered with this instead of 250
};

struct ReceivedMail {
  std::string mail_from;
  std::vector<std::string> rcpt_tos;
  std::string data; // the message exactly as received (CRLF line ends, dot-stuffing removed)
  bool tls = false;
  std::string auth_user; // empty when the client did not authenticate
  // Python's e-mail parser's reading of the message (policy=default), an independent check:
  // "subject", "from", "to", "date", "message-id" (decoded), "date_utc" (ISO 8601), "body" (decoded
  // content), "content_type", "charset", "defects" (array; empty for a well-formed message).
  nlohmann::json parsed;

  // The unfolded value of the first header `name` (any case), "" when absent.
  std::string header(const std::string& name) const;
  // Every header line of the message head, unfolded, in order (name and raw value).
  std::vector<std::pair<std::string, std::string>> headers() const;
  // Everything after the blank line that ends the head.
  std::string body() const;
};

class SmtpSink {
public:
  // `dir` holds the record file; it must outlive the sink.
  explicit SmtpSink(const std::string& dir, SmtpSinkOptions options = {});
  ~SmtpSink();

  // Starts the server and waits until it listens; false on failure (see log()).
  bool start(int64_t timeout_ms = 15000);
  uint16_t port() const;
  std::vector<ReceivedMail> messages() const;
  bool waitForMessages(size_t count, int64_t timeout_ms) const;
  std::string log() const; // the sink's stderr
  void stop();

private:
  std::string dir_;
  std::string record_path_;
  SmtpSinkOptions options_;
  std::unique_ptr<ServerProcess> process_;
};

// The script's location in the source tree.
std::string smtpSinkScript();

} // namespace bambuddy::testing
