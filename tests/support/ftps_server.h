// A real implicit-FTPS server for tests and benchmarks: Debian's proftpd (proftpd-core +
// proftpd-mod-crypto for mod_tls) in the foreground as a child process, like a Bambu printer's
// storage: TLS from the first byte (port 990 style), user bblp with a password, the storage
// directory as "/", TLS session reuse required on the protected data channel (proftpd's default,
// and what printers demand). start() returns only once a TCP + TLS connection got the 220 greeting.
// Runs as root (CI) and as a normal user (then as root of its own user namespace, which proftpd
// needs to chroot the session). Everything lives in a temp dir removed with the object.
#pragma once

#include "support/temp_dir.h"

#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

namespace bambuddy::testing {

struct FtpsServerOptions {
  std::string user = "bblp";
  std::string password = "12345678";
  // Served as "/" (the user's home with DefaultRoot ~). Empty: <dir()>/storage, created.
  std::string storage_dir;
  // Plays a full card: an upload growing past this size is aborted with
  // "552 Transfer aborted. File size limit exceeded" (proftpd MaxStoreFileSize). 0: no limit.
  uint64_t max_store_file_size_bytes = 0;
  // Plays the printers that cannot protect the data channel: PROT P is answered 504 (mod_rewrite
  // turns it into an unknown level), PROT C is accepted and a clear data channel allowed.
  bool refuse_protected_data = false;
  int64_t start_timeout_ms = 15000;
};

class FtpsServer {
public:
  explicit FtpsServer(FtpsServerOptions options = {});
  ~FtpsServer(); // stops the server and its session processes, then the temp dir goes
  FtpsServer(const FtpsServer&) = delete;
  FtpsServer& operator=(const FtpsServer&) = delete;

  // The first call creates the certificate, the password file and the config and picks a free
  // port (another one when proftpd finds it taken). Throws std::runtime_error with the server's
  // logs when it does not become ready.
  void start();
  // SIGTERM (SIGKILL after 5 s) to the server and every session process. No-op when not running.
  void stop();
  bool running();

  const std::string& host() const { return host_; } // 127.0.0.1
  uint16_t port() const { return port_; }
  const std::string& user() const { return options_.user; }
  const std::string& password() const { return options_.password; }
  const std::string& storageDir() const { return storage_dir_; }
  // The self-signed server certificate: a client's CA file in CA mode.
  const std::string& certFile() const { return cert_file_; }
  // SHA-256 over its DER bytes, 64 lower-case hex digits (tls.fingerprint_sha256).
  const std::string& certFingerprintSha256() const { return fingerprint_; }
  const std::string& dir() const { return dir_.path(); }

  // One line per command with its reply code (ExtendedLog ALL), e.g.
  // `127.0.0.1 UNKNOWN bblp [..] "STOR Benchy.3mf" 226 3000000`; PASS appears as "PASS (hidden)".
  std::string commandLog() const;
  // mod_tls's log: handshakes, "Protection set to Private", "client reused TLS session for data
  // connection".
  std::string tlsLog() const;
  // Everything: system log, TLS log, command log and the server's stdout/stderr.
  std::string log() const;
  // How often `needle` occurs in commandLog().
  size_t countInCommandLog(const std::string& needle) const;

  // SIGSTOP / SIGCONT the session processes (not the listener): a printer that stops answering
  // in the middle of a transfer. Returns how many sessions it stopped or continued.
  size_t pauseSessions();
  size_t resumeSessions();

private:
  void prepareFiles();
  void writeConfig();
  void launch();
  bool waitReady(std::string& why_not);
  std::vector<pid_t> sessionPids() const;

  FtpsServerOptions options_;
  TempDir dir_;
  std::string host_ = "127.0.0.1";
  uint16_t port_ = 0;
  bool prepared_ = false;
  std::string storage_dir_;
  std::string cert_file_;
  std::string key_file_;
  std::string fingerprint_;
  std::string config_file_;
  std::string output_file_;
  pid_t pid_ = -1;
  std::vector<pid_t> paused_;
};

} // namespace bambuddy::testing
