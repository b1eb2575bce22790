// The failure mapping on the replies and errors a test server cannot produce (452, a 550 to STOR,
// unreachable hosts, an access code inside curl's words). ftps_client_test.cpp covers the rest
// against a real server.
#include "ftps_failure.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace bambuddy::printer_bambu {
namespace ftps_failure_test {

FtpsFacts facts(CURLcode code, int reply_code = 0, const std::string& reply_text = "",
                const std::string& last_command = "") {
  FtpsFacts f;
  f.step = "upload of /a.3mf";
  f.where = "192.168.1.50:990";
  f.path = "/a.3mf";
  f.user = "bblp";
  f.port = 990;
  f.connect_timeout_ms = 10000;
  f.stall_timeout_ms = 30000;
  f.code = code;
  f.curl_words = curl_easy_strerror(code);
  f.reply_code = reply_code;
  f.reply_text = reply_text;
  f.last_command = last_command;
  return f;
}

TEST(FtpsFailure, ServerRepliesDecideWhatCurlLeavesOpen) {
  FtpsError full = ftpsFailure(facts(CURLE_PARTIAL_FILE, 452, "452 Insufficient storage space", "STOR"), "x");
  EXPECT_EQ(full.failure(), FtpsFailure::NoSpace);
  EXPECT_STREQ(full.reason(), "ftp_no_space");
  EXPECT_EQ(std::string(full.what()), "upload of /a.3mf on 192.168.1.50:990 failed: the printer's storage is "
                                      "full (452 Insufficient storage space)");
  EXPECT_EQ(ftpsFailure(facts(CURLE_UPLOAD_FAILED, 552, "552 Disk full", "STOR"), "x").failure(),
            FtpsFailure::NoSpace);
  EXPECT_EQ(ftpsFailure(facts(CURLE_REMOTE_DISK_FULL, 552, "552 x", "STOR"), "x").failure(),
            FtpsFailure::NoSpace);
  // A 550 to STOR is no missing file: the printer refused to create it (no card, read-only).
  FtpsError refused = ftpsFailure(facts(CURLE_UPLOAD_FAILED, 550, "550 Permission denied", "STOR"), "x");
  EXPECT_EQ(refused.failure(), FtpsFailure::Refused);
  EXPECT_NE(std::string(refused.what()).find("answered STOR with 550 Permission denied"), std::string::npos);
  EXPECT_EQ(ftpsFailure(facts(CURLE_QUOTE_ERROR, 550, "550 No such file", "DELE"), "x").failure(),
            FtpsFailure::NotFound);
  EXPECT_EQ(ftpsFailure(facts(CURLE_REMOTE_ACCESS_DENIED, 530, "530 Not logged in", "CWD"), "x").failure(),
            FtpsFailure::LoginFailed);
  EXPECT_EQ(ftpsFailure(facts(CURLE_QUOTE_ERROR, 421, "421 Too many connections", "DELE"), "x").failure(),
            FtpsFailure::Refused);
}

TEST(FtpsFailure, ConnectErrorsByErrno) {
  FtpsFacts unreachable = facts(CURLE_COULDNT_CONNECT);
  unreachable.os_errno = EHOSTUNREACH;
  FtpsError e = ftpsFailure(unreachable, "x");
  EXPECT_EQ(e.failure(), FtpsFailure::ConnectionRefused);
  EXPECT_NE(std::string(e.what()).find("No route to host"), std::string::npos) << e.what();
  FtpsFacts timed_out = facts(CURLE_COULDNT_CONNECT);
  timed_out.os_errno = ETIMEDOUT;
  EXPECT_EQ(ftpsFailure(timed_out, "x").failure(), FtpsFailure::Timeout);
  EXPECT_EQ(ftpsFailure(facts(CURLE_COULDNT_RESOLVE_HOST), "x").failure(), FtpsFailure::Protocol);
}

TEST(FtpsFailure, ClientSideFactsComeFirst) {
  FtpsFacts f = facts(CURLE_ABORTED_BY_CALLBACK, 150, "150 Opening", "STOR");
  f.cancelled = true;
  EXPECT_EQ(ftpsFailure(f, "x").failure(), FtpsFailure::Cancelled);
  f.cancelled = false;
  f.stalled = true;
  f.body_bytes = 4096;
  FtpsError stalled = ftpsFailure(f, "x");
  EXPECT_EQ(stalled.failure(), FtpsFailure::Timeout);
  EXPECT_NE(std::string(stalled.what()).find("no byte moved for 30000 ms after 4096 bytes"),
            std::string::npos);
  FtpsFacts login = facts(CURLE_OPERATION_TIMEDOUT, 331, "331 Password required", "PASS");
  EXPECT_NE(std::string(ftpsFailure(login, "x").what()).find("the login did not finish within 10000 ms"),
            std::string::npos);
  FtpsFacts local = facts(CURLE_ABORTED_BY_CALLBACK);
  local.local_error = "reading the local file failed: Input/output error";
  EXPECT_EQ(ftpsFailure(local, "x").failure(), FtpsFailure::LocalIo);
}

TEST(FtpsFailure, TheAccessCodeNeverReachesAMessage) {
  FtpsFacts f = facts(CURLE_RECV_ERROR, 500, "500 unknown command Secret99", "SITE");
  f.curl_words = "weird: Secret99";
  std::string message = ftpsFailure(f, "Secret99").what();
  EXPECT_EQ(message.find("Secret99"), std::string::npos) << message;
  EXPECT_NE(message.find("***"), std::string::npos) << message;
  EXPECT_EQ(scrubSecret("abc", "ab"), "abc"); // too short to tell from ordinary words
}

} // namespace ftps_failure_test
} // namespace bambuddy::printer_bambu
