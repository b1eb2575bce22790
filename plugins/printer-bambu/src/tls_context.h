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

// The newest error on this thread's OpenSSL queue as text ("" when there is none); clears it.
std::string takeTlsError();

} // namespace bambuddy::printer_bambu
