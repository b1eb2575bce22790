// One non-blocking MQTT-over-TLS connection to a printer: TCP connect, TLS handshake, CONNECT and
// CONNACK, then packets both ways. Driven by its session on the loop thread (mqtt_loop.h); never
// blocks and never calls back: onReady() hands received packets to the caller.
//
// Every failure is put in words naming the step and the printer's address, e.g. "TCP connection
// to 192.168.1.20:8883 failed: Connection refused" or "TLS handshake with ... timed out".
#pragma once

#include "mqtt_codec.h"
#include "mqtt_loop.h"

#include <openssl/ssl.h>

#include <cstdint>
#include <string>
#include <vector>

namespace bambuddy::printer_bambu {

class MqttConnection {
public:
  enum class Stage { Idle, Connecting, Handshaking, AwaitingConnack, Open, Failed };

  // `where` is "host:port" for messages. `ctx` must outlive the connection (it is up-referenced
  // only by the SSL object). A non-empty `pinned_sha256` (64 lower-case hex digits) is compared
  // with the printer's certificate after the handshake, before anything is sent; `ca_checked`
  // words a failed chain check as such.
  MqttConnection(std::string where, SSL_CTX* ctx, std::string pinned_sha256, bool ca_checked);
  ~MqttConnection(); // closes the socket without a goodbye; unwatch it first
  MqttConnection(const MqttConnection&) = delete;
  MqttConnection& operator=(const MqttConnection&) = delete;

  // Starts the TCP connect; CONNECT goes out once TLS is up. False (see error()) when the socket
  // cannot even be created.
  bool open(const Endpoint& to, const mqtt::ConnectRequest& request);

  int fd() const { return fd_; }
  Stage stage() const { return stage_; }
  // The epoll events this connection waits for now.
  uint32_t wantedEvents() const;

  // Handles readiness; appends each complete packet received after CONNACK to `packets`. False
  // once the connection failed (error() says why; the caller drops the connection).
  bool onReady(uint32_t events, std::vector<mqtt::Packet>& packets);
  // Queues bytes and writes what the socket takes. False once the connection failed.
  bool send(const std::string& bytes);
  bool hasUnsentBytes() const { return out_offset_ < out_.size(); }

  const std::string& error() const { return error_; }
  // The failure was the TCP connect itself (another address of the same name may work).
  bool failedToConnect() const { return failed_to_connect_; }
  // What running out of time in the current stage means, for the session's deadline.
  std::string timeoutError() const;

private:
  bool fail(std::string why);
  bool handshake();
  bool readAvailable(std::vector<mqtt::Packet>& packets);
  bool takePackets(std::vector<mqtt::Packet>& packets);
  bool flush();
  // Why an SSL call failed, worded for the stage it failed in.
  std::string sslFailure(int rc);

  const std::string where_;
  SSL_CTX* ctx_;
  const std::string pinned_sha256_;
  const bool ca_checked_;
  std::string connect_packet_; // holds the access code until it is written; wiped after
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  Stage stage_ = Stage::Idle;
  bool ssl_wants_write_ = false;  // the last SSL call needs the socket writable to go on
  bool write_needs_read_ = false; // SSL_write asked for a read first
  std::string out_;
  size_t out_offset_ = 0;
  mqtt::PacketReader reader_;
  std::string error_;
  bool failed_to_connect_ = false;
};

} // namespace bambuddy::printer_bambu
