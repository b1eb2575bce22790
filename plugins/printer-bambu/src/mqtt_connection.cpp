#include "mqtt_connection.h"

#include "tls_context.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bambuddy::printer_bambu {
namespace {

// A full Bambu report is tens of KiB; anything near this is not a printer talking.
constexpr size_t kMaxPacketBytes = 4 * 1024 * 1024;
// One readiness event reads at most this much before others get their turn.
constexpr size_t kReadBudgetBytes = 1024 * 1024;

void wipe(std::string& secret) {
  volatile char* p = secret.empty() ? nullptr : &secret[0];
  for (size_t i = 0; i < secret.size(); ++i) {
    p[i] = 0;
  }
  secret.clear();
}

} // namespace

MqttConnection::MqttConnection(std::string where, SSL_CTX* ctx, std::string pinned_sha256, bool ca_checked)
    : where_(std::move(where)), ctx_(ctx), pinned_sha256_(std::move(pinned_sha256)), ca_checked_(ca_checked),
      reader_(kMaxPacketBytes) {}

MqttConnection::~MqttConnection() {
  if (ssl_ != nullptr) {
    SSL_free(ssl_);
  }
  if (fd_ >= 0) {
    ::close(fd_);
  }
  wipe(connect_packet_);
  wipe(out_); // may still hold an unsent CONNECT
}

bool MqttConnection::fail(std::string why) {
  stage_ = Stage::Failed;
  error_ = std::move(why);
  ssl_wants_write_ = false;
  return false;
}

uint32_t MqttConnection::wantedEvents() const {
  switch (stage_) {
  case Stage::Connecting:
    return EPOLLOUT;
  case Stage::Handshaking:
    return ssl_wants_write_ ? EPOLLOUT : EPOLLIN;
  case Stage::AwaitingConnack:
  case Stage::Open:
    // A write that needs a read first (TLS renegotiation) waits for EPOLLIN, not a busy EPOLLOUT.
    return EPOLLIN | (ssl_wants_write_ || (hasUnsentBytes() && !write_needs_read_) ? EPOLLOUT : 0u);
  default:
    return 0;
  }
}

std::string MqttConnection::timeoutError() const {
  switch (stage_) {
  case Stage::Connecting:
    return "TCP connection to " + where_ + " timed out";
  case Stage::Handshaking:
    return "TLS handshake with " + where_ + " timed out";
  default:
    return "MQTT connection to " + where_ + " timed out (no CONNACK within connect_timeout_ms)";
  }
}

bool MqttConnection::open(const Endpoint& to, const mqtt::ConnectRequest& request) {
  fd_ = ::socket(to.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    return fail(std::string("cannot create a socket: ") + std::strerror(errno));
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); // small commands go out at once
  connect_packet_ = mqtt::encodeConnect(request);
  stage_ = Stage::Connecting;
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&to.address), to.length) != 0 &&
      errno != EINPROGRESS) {
    failed_to_connect_ = true;
    return fail("TCP connection to " + where_ + " failed: " + std::strerror(errno));
  }
  return true; // even when connected at once: the socket reports writable, and onReady goes on
}

bool MqttConnection::onReady(uint32_t events, std::vector<mqtt::Packet>& packets) {
  if (stage_ == Stage::Connecting) {
    // The readiness may belong to a socket this one replaced: ask this one.
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, 0) <= 0) {
      return true;
    }
    int so_error = 0;
    socklen_t length = sizeof so_error;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &so_error, &length);
    if (so_error != 0) {
      failed_to_connect_ = true;
      return fail("TCP connection to " + where_ + " failed: " + std::strerror(so_error));
    }
    ssl_ = SSL_new(ctx_);
    if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) {
      return fail("cannot create a TLS session for " + where_);
    }
    SSL_set_connect_state(ssl_);
    stage_ = Stage::Handshaking;
  }
  if (stage_ == Stage::Handshaking) {
    return handshake();
  }
  if (stage_ != Stage::AwaitingConnack && stage_ != Stage::Open) {
    return stage_ != Stage::Failed;
  }
  if ((events & EPOLLOUT) != 0 || ssl_wants_write_ || write_needs_read_) {
    if (!flush()) {
      return false;
    }
  }
  return readAvailable(packets);
}

bool MqttConnection::handshake() {
  ERR_clear_error();
  int rc = SSL_do_handshake(ssl_);
  if (rc != 1) {
    int reason = SSL_get_error(ssl_, rc);
    if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) {
      ssl_wants_write_ = reason == SSL_ERROR_WANT_WRITE;
      return true;
    }
    if (ca_checked_ && SSL_get_verify_result(ssl_) != X509_V_OK) {
      std::string why = X509_verify_cert_error_string(SSL_get_verify_result(ssl_));
      ERR_clear_error();
      return fail("TLS connection to " + where_ +
                  " failed: the printer's certificate does not verify against "
                  "tls.ca_file (" +
                  why + ")");
    }
    return fail(sslFailure(rc));
  }
  ssl_wants_write_ = false;
  if (!pinned_sha256_.empty()) {
    X509* cert = SSL_get1_peer_certificate(ssl_);
    std::string seen = cert != nullptr ? certificateSha256Hex(cert) : std::string();
    X509_free(cert);
    if (seen.empty()) {
      return fail("the printer at " + where_ + " presented no certificate");
    }
    if (seen != pinned_sha256_) {
      // Nothing was sent: the access code never reaches a printer that is not the pinned one.
      return fail("the printer's certificate (SHA-256 " + seen + ") does not match tls.fingerprint_sha256");
    }
  }
  stage_ = Stage::AwaitingConnack;
  std::string connect;
  connect.swap(connect_packet_);
  bool ok = send(connect);
  wipe(connect);
  return ok;
}

std::string MqttConnection::sslFailure(int rc) {
  int reason = SSL_get_error(ssl_, rc);
  int saved_errno = errno;
  std::string why = takeTlsError();
  if (why.empty()) {
    why = reason == SSL_ERROR_SYSCALL && rc < 0 && saved_errno != 0 ? std::strerror(saved_errno)
                                                                    : "connection closed";
  }
  if (stage_ == Stage::AwaitingConnack) {
    return "MQTT connection to " + where_ + " failed: the printer hung up during the TLS or MQTT handshake";
  }
  if (stage_ == Stage::Open) {
    return reason == SSL_ERROR_ZERO_RETURN || why == "connection closed"
               ? "connection lost: the printer closed the connection"
               : "connection lost: " + why;
  }
  return "TLS handshake with " + where_ + " failed: " + why; // the only stage left
}

bool MqttConnection::send(const std::string& bytes) {
  if (stage_ == Stage::Failed) {
    return false;
  }
  if (out_offset_ == out_.size()) {
    out_.clear();
    out_offset_ = 0;
  }
  out_ += bytes;
  if (stage_ != Stage::AwaitingConnack && stage_ != Stage::Open) {
    return true; // goes out once the connection is up
  }
  return flush();
}

bool MqttConnection::flush() {
  ssl_wants_write_ = false;
  write_needs_read_ = false;
  while (out_offset_ < out_.size()) {
    ERR_clear_error();
    int n = SSL_write(ssl_, out_.data() + out_offset_, static_cast<int>(out_.size() - out_offset_));
    if (n > 0) {
      out_offset_ += static_cast<size_t>(n);
      continue;
    }
    int reason = SSL_get_error(ssl_, n);
    if (reason == SSL_ERROR_WANT_WRITE) {
      ssl_wants_write_ = true;
      return true;
    }
    if (reason == SSL_ERROR_WANT_READ) {
      write_needs_read_ = true; // goes on after the next read
      return true;
    }
    return fail(sslFailure(n));
  }
  out_.clear();
  out_offset_ = 0;
  return true;
}

bool MqttConnection::readAvailable(std::vector<mqtt::Packet>& packets) {
  char buffer[16384];
  size_t budget = kReadBudgetBytes;
  while (true) {
    ERR_clear_error();
    int n = SSL_read(ssl_, buffer, sizeof buffer);
    if (n > 0) {
      reader_.append(buffer, static_cast<size_t>(n));
      if (!takePackets(packets)) {
        return false;
      }
      budget -= std::min(budget, static_cast<size_t>(n));
      if (budget == 0 && SSL_pending(ssl_) == 0) {
        return true; // the kernel still holds the rest; epoll says so again
      }
      continue;
    }
    int reason = SSL_get_error(ssl_, n);
    if (reason == SSL_ERROR_WANT_READ) {
      return true;
    }
    if (reason == SSL_ERROR_WANT_WRITE) {
      ssl_wants_write_ = true;
      return true;
    }
    return fail(sslFailure(n));
  }
}

bool MqttConnection::takePackets(std::vector<mqtt::Packet>& packets) {
  mqtt::Packet packet;
  while (reader_.next(packet)) {
    if (stage_ == Stage::AwaitingConnack) {
      uint8_t code = 0;
      std::string error;
      if (!mqtt::decodeConnack(packet, code, error)) {
        return fail("MQTT connection to " + where_ +
                    " failed: the printer answered CONNECT with something "
                    "other than a CONNACK");
      }
      if (code != 0) {
        return fail(mqtt::connackReason(code));
      }
      stage_ = Stage::Open;
      continue;
    }
    if (packet.type == mqtt::kPingresp) {
      continue;
    }
    packets.push_back(std::move(packet));
    packet = mqtt::Packet();
  }
  if (!reader_.error().empty()) {
    return fail((stage_ == Stage::Open ? "connection lost: " : "MQTT connection to " + where_ + " failed: ") +
                reader_.error());
  }
  return true;
}

} // namespace bambuddy::printer_bambu
