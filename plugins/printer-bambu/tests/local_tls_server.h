// A loopback TLS endpoint for the session tests: a real OpenSSL server with a fresh self-signed
// certificate, which completes the handshake and hangs up, accepts TCP and never answers (a
// printer whose broker is stuck), or completes the handshake and then reads without ever answering
// (a broker that never sends CONNACK). It speaks no MQTT.
#pragma once

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <poll.h>

typedef struct ssl_ctx_st SSL_CTX;

namespace bambuddy::printer_bambu::test {

class LocalTlsServer {
public:
  enum class Mode {
    Handshake, // TLS handshake, then hang up
    Silent,    // accept TCP, never answer
    MqttMute   // TLS handshake, then read and never answer; the client decides when it ends
  };

  // MqttMute with `answer`: the bytes are written once a connection first sends data (a broker
  // answering CONNECT), for feeding the client scripted or broken MQTT.
  explicit LocalTlsServer(Mode mode, std::string answer = std::string());
  ~LocalTlsServer();
  LocalTlsServer(const LocalTlsServer&) = delete;
  LocalTlsServer& operator=(const LocalTlsServer&) = delete;

  int port() const { return port_; }
  // SHA-256 of the certificate's DER form, 64 lower-case hex digits.
  const std::string& fingerprint() const { return fingerprint_; }
  // TCP connections accepted so far.
  int accepted() const { return accepted_.load(); }
  // MqttMute: connections that sent data after the handshake (an MQTT client's CONNECT), so far
  // and at most at the same time.
  int mqttConnections() const { return mqtt_connections_.load(); }
  int maxConcurrentMqtt() const { return max_concurrent_mqtt_.load(); }

private:
  struct Held; // an MqttMute connection after its handshake
  void serve();
  void serveMute(std::vector<Held>& held, const std::vector<pollfd>& ready);

  Mode mode_;
  const std::string answer_;
  SSL_CTX* ctx_ = nullptr;
  int listen_fd_ = -1;
  int port_ = 0;
  std::string fingerprint_;
  std::atomic<int> accepted_{0};
  std::atomic<int> mqtt_connections_{0};
  std::atomic<int> max_concurrent_mqtt_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

} // namespace bambuddy::printer_bambu::test
