// A real mosquitto broker for tests and benchmarks: TLS (own CA, server certificate for
// 127.0.0.1/localhost), password file, free loopback port, run in the foreground as a child
// process. start() returns only once a real TLS + password MQTT connection succeeded.
// Everything lives in a temp dir that is removed with the object; the destructor kills the broker.
#pragma once

#include "support/temp_dir.h"

#include <cstdint>
#include <string>
#include <sys/types.h>

namespace bambuddy::testing {

struct MosquittoBrokerOptions {
  std::string user = "bblp";
  std::string password = "12345678";
  // `log_type all`: logs every PUBLISH/SUBSCRIBE. Useful to debug, too heavy for benchmarks.
  bool verbose_log = false;
  int64_t start_timeout_ms = 15000;
};

class MosquittoBroker {
public:
  explicit MosquittoBroker(MosquittoBrokerOptions options = {});
  ~MosquittoBroker(); // SIGKILL if still running, then the temp dir goes
  MosquittoBroker(const MosquittoBroker&) = delete;
  MosquittoBroker& operator=(const MosquittoBroker&) = delete;

  // The first call creates the certificates, password file and config and picks a free port.
  // Throws std::runtime_error with the broker's output and log when it does not become ready.
  void start();
  // SIGTERM and wait (SIGKILL after 5 s). No-op when not running.
  void stop();
  // stop() + start() on the same port with the same certificates.
  void restart();
  bool running();

  const std::string& host() const { return host_; } // 127.0.0.1
  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; } // -1 before start()
  std::string uri() const;           // ssl://127.0.0.1:PORT
  const std::string& user() const { return options_.user; }
  const std::string& password() const { return options_.password; }
  const std::string& caFile() const { return ca_file_; }
  const std::string& serverCertFile() const { return server_cert_file_; }
  // SHA-256 over the server certificate's DER bytes, 64 lowercase hex digits, no separators.
  const std::string& serverCertFingerprintSha256() const { return fingerprint_; }
  const std::string& dir() const { return dir_.path(); }

  // The broker's log file plus anything it wrote to stdout/stderr, across restarts.
  std::string log() const;
  // How often `needle` occurs in log() (e.g. "not authorised" for refused logins).
  size_t countInLog(const std::string& needle) const;

private:
  void prepareFiles();
  void writeConfig();
  void launch();
  bool waitReady(std::string& why_not);

  MosquittoBrokerOptions options_;
  TempDir dir_;
  std::string host_ = "127.0.0.1";
  uint16_t port_ = 0;
  bool prepared_ = false;
  std::string ca_file_;
  std::string server_cert_file_;
  std::string fingerprint_;
  std::string config_file_;
  std::string log_file_;
  std::string output_file_;
  pid_t pid_ = -1;
  int probe_count_ = 0;
};

} // namespace bambuddy::testing
