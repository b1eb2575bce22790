// A loopback TLS endpoint for the session tests: a real OpenSSL server with a fresh self-signed
// certificate, which either completes the handshake and hangs up, or accepts TCP and never
// answers (a printer whose broker is stuck). It speaks no MQTT.
#pragma once

#include <atomic>
#include <string>
#include <thread>

typedef struct ssl_ctx_st SSL_CTX;

namespace bambuddy::printer_bambu::test {

class LocalTlsServer {
public:
  enum class Mode { Handshake, Silent };

  explicit LocalTlsServer(Mode mode);
  ~LocalTlsServer();
  LocalTlsServer(const LocalTlsServer&) = delete;
  LocalTlsServer& operator=(const LocalTlsServer&) = delete;

  int port() const { return port_; }
  // SHA-256 of the certificate's DER form, 64 lower-case hex digits.
  const std::string& fingerprint() const { return fingerprint_; }
  // TCP connections accepted so far.
  int accepted() const { return accepted_.load(); }

private:
  void serve();

  Mode mode_;
  SSL_CTX* ctx_ = nullptr;
  int listen_fd_ = -1;
  int port_ = 0;
  std::string fingerprint_;
  std::atomic<int> accepted_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

} // namespace bambuddy::printer_bambu::test
