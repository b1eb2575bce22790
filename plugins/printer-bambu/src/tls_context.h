// The OpenSSL pieces every printer connection shares: how a client context is set up, and how
// OpenSSL's error queue becomes words.
#pragma once

#include <openssl/ssl.h>

#include <string>

namespace bambuddy::printer_bambu {

// A TLS 1.2+ client context with the modes the non-blocking connections rely on (partial and
// moving writes) and idle connections giving their record buffers back. Verification is left to
// the caller. nullptr when OpenSSL cannot allocate one. The caller owns it (SSL_CTX_free).
SSL_CTX* newClientTlsContext();

// SHA-256 over the certificate's DER bytes as 64 lower-case hex digits ("" when it cannot be
// computed): the form of tls.fingerprint_sha256.
std::string certificateSha256Hex(X509* cert);

// The newest error on this thread's OpenSSL queue as text ("" when there is none); clears it.
std::string takeTlsError();

} // namespace bambuddy::printer_bambu
