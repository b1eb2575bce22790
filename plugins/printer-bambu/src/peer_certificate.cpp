#include "peer_certificate.h"

#include "tcp_connect.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <poll.h>
#include <signal.h>

#include <chrono>
#include <memory>

namespace bambuddy::printer_bambu {
namespace {

using Clock = std::chrono::steady_clock;

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslFree {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
// A peer that resets the connection must not kill the server with SIGPIPE: the signal is blocked
// on this thread while the handshake writes, and a pending one is consumed before unblocking.
class SigpipeGuard {
public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeGuard() {
    struct timespec zero = {0, 0};
    while (sigtimedwait(&pipe_, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

private:
  sigset_t pipe_;
  sigset_t old_;
};

PeerCertificate failure(std::string error) {
  PeerCertificate r;
  r.error = std::move(error);
  return r;
}

} // namespace

PeerCertificate fetchPeerCertificate(const std::string& host, int port, int64_t timeout_ms,
                                     const std::function<bool()>& cancelled) {
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  SigpipeGuard no_sigpipe;
  std::string error;
  Socket fd = connectTcp(host, port, deadline, cancelled, error);
  if (!fd.valid()) {
    return failure(error);
  }
  std::unique_ptr<SSL_CTX, SslCtxFree> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) {
    return failure("cannot create a TLS context");
  }
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr); // the fingerprint is the check
  std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx.get()));
  if (!ssl || SSL_set_fd(ssl.get(), fd.get()) != 1) {
    return failure("cannot create a TLS session");
  }
  SSL_set_connect_state(ssl.get());
  while (true) {
    ERR_clear_error();
    int rc = SSL_do_handshake(ssl.get());
    if (rc == 1) {
      break;
    }
    int reason = SSL_get_error(ssl.get(), rc);
    std::string why;
    if (reason == SSL_ERROR_WANT_READ) {
      if (!waitReady(fd.get(), POLLIN, deadline, cancelled, why)) {
        return failure("TLS handshake with " + host + ":" + std::to_string(port) + " " + why);
      }
    } else if (reason == SSL_ERROR_WANT_WRITE) {
      if (!waitReady(fd.get(), POLLOUT, deadline, cancelled, why)) {
        return failure("TLS handshake with " + host + ":" + std::to_string(port) + " " + why);
      }
    } else {
      char text[256] = "connection closed";
      if (unsigned long e = ERR_peek_last_error(); e != 0) {
        ERR_error_string_n(e, text, sizeof text);
      }
      ERR_clear_error();
      return failure("TLS handshake with " + host + ":" + std::to_string(port) + " failed: " + text);
    }
  }
  std::unique_ptr<X509, X509Free> cert(SSL_get1_peer_certificate(ssl.get()));
  if (!cert) {
    return failure("the server at " + host + ":" + std::to_string(port) + " presented no certificate");
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (X509_digest(cert.get(), EVP_sha256(), digest, &digest_len) != 1) {
    return failure("cannot hash the server certificate");
  }
  static const char* kHex = "0123456789abcdef";
  PeerCertificate r;
  for (unsigned int i = 0; i < digest_len; ++i) {
    r.sha256_hex += kHex[digest[i] >> 4];
    r.sha256_hex += kHex[digest[i] & 0xF];
  }
  r.ok = true;
  // No close_notify: the connection only served to read the certificate.
  return r;
}

} // namespace bambuddy::printer_bambu
