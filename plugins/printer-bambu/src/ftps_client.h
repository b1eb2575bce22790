// File transfer to and from one printer's storage over implicit FTPS (port 990, user bblp, the
// access code as password), with libcurl.
//
// Bambu printers serve their SD card / internal storage this way; Bambu Studio uploads a 3MF here
// before it sends the MQTT `project_file` command. libcurl (Debian libcurl4-openssl-dev) does the
// FTP protocol; this class adds what printers need on top: the same TLS modes as the MQTT
// connection (the pin checked inside the handshake, so USER/PASS is never sent to a wrong peer),
// a protected data channel (PROT P) that reuses the control connection's TLS session, the fallback
// to a clear data channel that some models need, timeouts, progress and prompt cancellation.
//
// Threading: every operation blocks the calling thread (a driver's transfer worker; never the
// shared MQTT loop thread). One instance is used by one thread at a time, except cancel(), which
// any thread may call at any time.
#pragma once

#include "driver_config.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace bambuddy::printer_bambu {

// DataProtection (Auto, Private, Clear) is declared in driver_config.h: the settings name it too.

struct FtpsEndpoint {
  std::string host; // address or name, no brackets
  int port = 990;
  std::string user = "bblp";
  std::string password; // the access code: never logged, never part of an error message
  TlsMode tls_mode = TlsMode::None;
  std::string ca_file;
  std::string fingerprint_sha256; // 64 lower-case hex digits
  DataProtection protection = DataProtection::Auto;
  int64_t connect_timeout_ms = 10000; // TCP + TLS + login
  int64_t stall_timeout_ms = 30000;   // a transfer that moves no byte for this long fails
};

// Why an operation failed. The reason() strings are stable and reach the API as error codes.
enum class FtpsFailure {
  ConnectionRefused, // "ftp_connection_refused": nothing listens on the port (port 990 blocked?)
  Timeout,           // "ftp_timeout": connect, login or a stalled transfer ran out of time
  TlsFailed,         // "ftp_tls_failed": handshake failed, or the chain did not verify (CA mode)
  PinMismatch,       // "ftp_pin_mismatch": the certificate is not the pinned one; nothing was sent
  LoginFailed,       // "ftp_login_failed": the printer refused user/access code
  NotFound,          // "ftp_not_found": the remote file or directory does not exist
  NoSpace,           // "ftp_no_space": the printer's storage is full (452/552), or no SD card
  Refused,           // "ftp_refused": another refusal by the server (the reply is in the message)
  Cancelled,         // "ftp_cancelled": cancel() was called
  LocalIo,           // "ftp_local_io": reading or writing the local file failed
  Protocol,          // "ftp_protocol": anything else (curl's words are in the message)
};

const char* failureReason(FtpsFailure failure);

class FtpsError : public std::runtime_error {
public:
  FtpsError(FtpsFailure failure, const std::string& message)
      : std::runtime_error(message), failure_(failure) {}
  FtpsFailure failure() const { return failure_; }
  const char* reason() const { return failureReason(failure_); }

private:
  FtpsFailure failure_;
};

struct RemoteEntry {
  std::string name; // file or directory name, no path
  uint64_t size_bytes = 0;
  bool is_directory = false;
};

// Called from the operation's thread as bytes move (at most every 250 ms, and once at the end).
// A download's total is 0 until the server announced the size (most do, in their 150 reply).
using TransferProgress = std::function<void(uint64_t done_bytes, uint64_t total_bytes)>;

class FtpsClient {
public:
  explicit FtpsClient(FtpsEndpoint endpoint);
  ~FtpsClient(); // closes the cached connection without waiting for the printer
  FtpsClient(const FtpsClient&) = delete;
  FtpsClient& operator=(const FtpsClient&) = delete;

  // Remote paths are absolute ("/Benchy.3mf", "/cache/Benchy.3mf"). All of these throw FtpsError.

  // Stores the first `size_bytes` of the open file `fd` (read with pread from offset 0; the caller
  // keeps ownership) as `remote_path`, replacing an existing file.
  void upload(int fd, uint64_t size_bytes, const std::string& remote_path, const TransferProgress& progress);
  // Writes `remote_path` into the open file `fd` (from its current offset; the caller owns it).
  // Fails with LocalIo before writing more than `max_bytes`.
  void download(const std::string& remote_path, int fd, uint64_t max_bytes, const TransferProgress& progress);
  // The entries of a remote directory ("/" or "/cache").
  std::vector<RemoteEntry> list(const std::string& remote_dir);
  // Deletes a remote file.
  void remove(const std::string& remote_path);

  // Aborts the running operation (it throws Cancelled within about 100 ms; up to 1 s while
  // libcurl waits for the server's final reply after the last byte) and every later one.
  // Safe from any thread.
  void cancel();

  // What the data channel uses now: Private or Clear (after the Auto fallback), or Auto before the
  // first transfer decided it.
  DataProtection protection() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The endpoint of a printer's storage: its host, ftp_port, access code and TLS checks (the same
// as its MQTT connection), ftp_data_protection, and the FTP timeouts of the driver config.
FtpsEndpoint makeFtpsEndpoint(const DriverConfig& config, const PrinterSettings& settings);

} // namespace bambuddy::printer_bambu
