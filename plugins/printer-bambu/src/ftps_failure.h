// How a failed libcurl FTPS operation becomes an FtpsError: the reason from curl's code, the
// server's last reply and what the client saw itself (cancel, stall, pin, local files). The
// message names the step and host:port and never the access code. Pure: unit-tested without a
// server for the replies a test server cannot give.
#pragma once

#include "ftps_client.h"

#include <curl/curl.h>

#include <cstdint>
#include <string>

namespace bambuddy::printer_bambu {

struct FtpsFacts {
  std::string step;  // "upload of /Benchy.3mf"
  std::string where; // "host:port"
  std::string path;  // the remote path
  std::string user;
  std::string ca_file;
  int port = 0;
  int64_t connect_timeout_ms = 0;
  int64_t stall_timeout_ms = 0;
  CURLcode code = CURLE_OK;
  std::string curl_words; // curl's error buffer, else its text for `code`
  long os_errno = 0;      // CURLINFO_OS_ERRNO
  int reply_code = 0;     // the server's last complete reply, 0 before the greeting
  std::string reply_text;
  std::string last_command; // the verb only
  uint64_t body_bytes = 0;  // bytes of the file or listing that moved
  uint64_t max_bytes = 0;   // a download's limit
  uint64_t max_listing_bytes = 0;
  bool cancelled = false;
  bool stalled = false; // the client's stall clock ran out
  bool over_limit = false;
  bool listing_too_large = false;
  bool pin_mismatch = false;
  std::string pin_seen;
  std::string local_error;
};

FtpsError ftpsFailure(const FtpsFacts& facts, const std::string& secret);

// `text` with every occurrence of `secret` (when it has at least 4 characters) replaced by "***".
std::string scrubSecret(std::string text, const std::string& secret);

} // namespace bambuddy::printer_bambu
