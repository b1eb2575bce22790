#include "local_tls_server.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <vector>

namespace bambuddy::printer_bambu::test {

LocalTlsServer::LocalTlsServer(Mode mode, std::string answer) : mode_(mode), answer_(std::move(answer)) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  if (key == nullptr || cert == nullptr) {
    throw std::runtime_error("cannot make a key or certificate");
  }
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_NAME* name = X509_get_subject_name(cert);
  // Like a printer: the certificate names the serial, not the address.
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("01P00TEST000001"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_set_pubkey(cert, key);
  X509_sign(cert, key, EVP_sha256());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  X509_digest(cert, EVP_sha256(), digest, &len);
  static const char* kHex = "0123456789abcdef";
  for (unsigned int i = 0; i < len; ++i) {
    fingerprint_ += kHex[digest[i] >> 4];
    fingerprint_ += kHex[digest[i] & 0xF];
  }
  ctx_ = SSL_CTX_new(TLS_server_method());
  SSL_CTX_use_certificate(ctx_, cert);
  SSL_CTX_use_PrivateKey(ctx_, key);
  X509_free(cert);
  EVP_PKEY_free(key);

  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    throw std::runtime_error("cannot listen on loopback");
  }
  socklen_t addr_len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &addr_len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

LocalTlsServer::~LocalTlsServer() {
  stopping_ = true;
  thread_.join();
  ::close(listen_fd_);
  SSL_CTX_free(ctx_);
}

struct LocalTlsServer::Held {
  int fd = -1;
  SSL* ssl = nullptr;
  bool spoke = false; // sent data after the handshake
};

void LocalTlsServer::serve() {
  // A client that hangs up mid-handshake must not kill the test with SIGPIPE: the signal is
  // directed at this (writing) thread, where it stays blocked.
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
  std::vector<int> silent; // Silent mode keeps connections open and mute
  std::vector<Held> held;  // MqttMute connections after their handshake
  while (!stopping_) {
    std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
    for (const Held& h : held) {
      fds.push_back({h.fd, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), 20) <= 0) {
      continue;
    }
    // Hang-ups before new connections: a client that gave up one connection before opening the
    // next must never look as if it held both at once.
    serveMute(held, fds);
    if ((fds[0].revents & POLLIN) == 0) {
      continue;
    }
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    ++accepted_;
    if (mode_ == Mode::Silent) {
      silent.push_back(fd);
      continue;
    }
    SSL* ssl = SSL_new(ctx_);
    SSL_set_fd(ssl, fd);
    // Blocking accept; the client either finishes the handshake or hangs up.
    timeval timeout{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (SSL_accept(ssl) == 1 && mode_ == Mode::MqttMute) {
      held.push_back(Held{fd, ssl, false});
      continue;
    }
    SSL_free(ssl); // done or failed: either way the connection ends here, without close_notify
    ::close(fd);
  }
  for (int fd : silent) {
    ::close(fd);
  }
  for (Held& h : held) {
    SSL_free(h.ssl);
    ::close(h.fd);
  }
}

void LocalTlsServer::serveMute(std::vector<Held>& held, const std::vector<pollfd>& ready) {
  // ready[i + 1] belongs to held[i]; walking backwards keeps that pairing while erasing.
  for (size_t i = held.size(); i-- > 0;) {
    if (ready[i + 1].revents == 0) {
      continue;
    }
    char buffer[4096];
    int n = SSL_read(held[i].ssl, buffer, sizeof buffer);
    if (n > 0) {
      if (!held[i].spoke) {
        held[i].spoke = true;
        ++mqtt_connections_;
        int speaking = 0;
        for (const Held& h : held) {
          speaking += h.spoke ? 1 : 0;
        }
        max_concurrent_mqtt_ = std::max(max_concurrent_mqtt_.load(), speaking);
        if (!answer_.empty()) {
          SSL_write(held[i].ssl, answer_.data(), static_cast<int>(answer_.size()));
        }
      }
      continue;
    }
    int reason = SSL_get_error(held[i].ssl, n);
    if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) {
      continue; // a TLS record without application data
    }
    SSL_free(held[i].ssl);
    ::close(held[i].fd);
    held.erase(held.begin() + static_cast<std::ptrdiff_t>(i));
  }
}

} // namespace bambuddy::printer_bambu::test
