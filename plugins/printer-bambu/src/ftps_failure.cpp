#include "ftps_failure.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace bambuddy::printer_bambu {

const char* failureReason(FtpsFailure failure) {
  switch (failure) {
  case FtpsFailure::ConnectionRefused:
    return "ftp_connection_refused";
  case FtpsFailure::Timeout:
    return "ftp_timeout";
  case FtpsFailure::TlsFailed:
    return "ftp_tls_failed";
  case FtpsFailure::PinMismatch:
    return "ftp_pin_mismatch";
  case FtpsFailure::LoginFailed:
    return "ftp_login_failed";
  case FtpsFailure::NotFound:
    return "ftp_not_found";
  case FtpsFailure::NoSpace:
    return "ftp_no_space";
  case FtpsFailure::Refused:
    return "ftp_refused";
  case FtpsFailure::Cancelled:
    return "ftp_cancelled";
  case FtpsFailure::LocalIo:
    return "ftp_local_io";
  case FtpsFailure::Protocol:
    return "ftp_protocol";
  }
  return "ftp_protocol";
}

namespace {

std::string wholeSeconds(int64_t ms) {
  return std::to_string(std::max<int64_t>(1, (ms + 999) / 1000));
}

} // namespace

std::string scrubSecret(std::string text, const std::string& secret) {
  // The access code never appears in curl's words, but a message must not be able to leak it.
  if (secret.size() >= 4) {
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
      text.replace(at, secret.size(), "***");
    }
  }
  return text;
}

FtpsError ftpsFailure(const FtpsFacts& f, const std::string& secret) {
  auto failure = [&](FtpsFailure kind, const std::string& why) {
    return FtpsError(kind, scrubSecret(f.step + " on " + f.where + " failed: " + why, secret));
  };
  auto reply = [&]() { return f.reply_text.empty() ? std::string("no reply") : f.reply_text; };
  const CURLcode rc = f.code;
  if (f.cancelled) {
    return FtpsError(FtpsFailure::Cancelled, f.step + " on " + f.where + " was cancelled");
  }
  if (!f.local_error.empty()) {
    return failure(FtpsFailure::LocalIo, f.local_error);
  }
  if (f.over_limit || rc == CURLE_FILESIZE_EXCEEDED) {
    return failure(FtpsFailure::LocalIo,
                   "the file is larger than the limit of " + std::to_string(f.max_bytes) + " bytes");
  }
  if (f.listing_too_large) {
    return failure(FtpsFailure::Protocol,
                   "the listing is larger than " + std::to_string(f.max_listing_bytes) + " bytes");
  }
  if (f.pin_mismatch) {
    return failure(FtpsFailure::PinMismatch, "the printer's certificate (SHA-256 " + f.pin_seen +
                                                 ") does not match tls.fingerprint_sha256; nothing was sent");
  }
  const std::string stall_s = wholeSeconds(f.stall_timeout_ms);
  if (f.stalled) {
    return failure(FtpsFailure::Timeout,
                   f.body_bytes > 0
                       ? "the transfer stalled: no byte moved for " + std::to_string(f.stall_timeout_ms) +
                             " ms after " + std::to_string(f.body_bytes) + " bytes"
                       : "the data connection did not start within " + std::to_string(f.stall_timeout_ms) +
                             " ms after " + f.last_command);
  }
  switch (rc) {
  case CURLE_COULDNT_CONNECT: {
    const long os_errno = f.os_errno;
    if (os_errno == ETIMEDOUT) {
      return failure(FtpsFailure::Timeout, "the TCP connection timed out");
    }
    if (os_errno == ECONNREFUSED) {
      return failure(FtpsFailure::ConnectionRefused,
                     "connection refused: nothing accepts FTPS connections on port " +
                         std::to_string(f.port) + " (storage access off, or the port blocked?)");
    }
    return failure(FtpsFailure::ConnectionRefused,
                   "cannot connect: " + (os_errno != 0
                                             ? std::string(std::strerror(static_cast<int>(os_errno)))
                                             : f.curl_words));
  }
  case CURLE_COULDNT_RESOLVE_HOST:
    return failure(FtpsFailure::Protocol, "cannot resolve the host name (" + f.curl_words + ")");
  case CURLE_OPERATION_TIMEDOUT:
    if (f.reply_code == 0) {
      return failure(FtpsFailure::Timeout, "no FTPS greeting within " + std::to_string(f.connect_timeout_ms) +
                                               " ms (TCP, TLS and login; " + f.curl_words + ")");
    }
    if (f.last_command == "USER" || f.last_command == "PASS" || f.last_command == "PBSZ" ||
        f.last_command == "PROT") {
      return failure(FtpsFailure::Timeout, "the login did not finish within " +
                                               std::to_string(f.connect_timeout_ms) + " ms (" +
                                               f.last_command + " unanswered)");
    }
    if (f.body_bytes > 0) {
      return failure(FtpsFailure::Timeout, "the transfer stalled: no byte moved for " + stall_s +
                                               " s after " + std::to_string(f.body_bytes) + " bytes");
    }
    return failure(FtpsFailure::Timeout, "no progress for " + stall_s + " s after " +
                                             (f.last_command.empty() ? "connecting" : f.last_command) + " (" +
                                             f.curl_words + ")");
  case CURLE_USE_SSL_FAILED:
    return failure(FtpsFailure::TlsFailed,
                   "the printer refused a protected data channel (PROT P: " + reply() +
                       "); set ftp_data_protection to auto or clear for it");
  case CURLE_PEER_FAILED_VERIFICATION:
    return failure(FtpsFailure::TlsFailed,
                   "the printer's certificate does not verify against tls.ca_file (" + f.curl_words + ")");
  case CURLE_SSL_CACERT_BADFILE:
    return failure(FtpsFailure::TlsFailed, "cannot load tls.ca_file " + f.ca_file);
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_ENGINE_INITFAILED:
  case CURLE_SSL_ISSUER_ERROR:
    return failure(FtpsFailure::TlsFailed,
                   std::string(f.reply_code == 0 ? "the TLS handshake failed"
                                                 : "the data connection's TLS handshake failed") +
                       " (" + f.curl_words + ")");
  case CURLE_LOGIN_DENIED:
    return failure(FtpsFailure::LoginFailed,
                   "the printer refused user " + f.user + " with this access code (" + reply() + ")");
  case CURLE_REMOTE_DISK_FULL:
    return failure(FtpsFailure::NoSpace, "the printer's storage is full (" + reply() + ")");
  case CURLE_READ_ERROR:
  case CURLE_WRITE_ERROR:
    return failure(FtpsFailure::LocalIo, f.curl_words);
  default:
    break;
  }
  // The rest is decided by the server's last reply.
  const int code = f.reply_code;
  if (code == 452 || code == 552) {
    return failure(FtpsFailure::NoSpace, "the printer's storage is full (" + reply() + ")");
  }
  if (code == 530) {
    return failure(FtpsFailure::LoginFailed, "the printer refused the login (" + reply() + ")");
  }
  if (code == 550 && f.last_command != "STOR") {
    return failure(FtpsFailure::NotFound, "no such file or directory: " + f.path + " (" + reply() + ")");
  }
  if (code >= 400 && code < 600 &&
      (rc == CURLE_REMOTE_ACCESS_DENIED || rc == CURLE_REMOTE_FILE_NOT_FOUND || rc == CURLE_QUOTE_ERROR ||
       rc == CURLE_UPLOAD_FAILED || rc == CURLE_PARTIAL_FILE || rc == CURLE_FTP_COULDNT_RETR_FILE)) {
    return failure(FtpsFailure::Refused, "the printer answered " + f.last_command + " with " + reply());
  }
  if (rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING) {
    return failure(
        FtpsFailure::Protocol,
        "the connection broke" +
            (f.body_bytes > 0 ? " after " + std::to_string(f.body_bytes) + " bytes" : std::string()) + " (" +
            f.curl_words + "; last reply: " + reply() + ")");
  }
  return failure(FtpsFailure::Protocol, f.curl_words + " (last reply: " + reply() + ")");
}

} // namespace bambuddy::printer_bambu
