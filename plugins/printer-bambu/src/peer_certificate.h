// Reads the certificate a TLS server presents, for pinning it by fingerprint.
//
// Paho MQTT offers no certificate callback, so a pinned printer is checked by a separate, short
// TLS handshake right before each MQTT connection (see the README for the trade-off). The same
// handshake runs before every connection, pinned or not, as a cancellable reachability probe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace bambuddy::printer_bambu {

struct PeerCertificate {
  bool ok = false;
  std::string sha256_hex; // SHA-256 of the DER certificate, 64 lower-case hex digits
  std::string error;      // when !ok: what failed, e.g. "TLS handshake failed"
};

// Connects to host:port, completes a TLS (1.2+) handshake without verifying anything, and
// returns the fingerprint of the server's leaf certificate. Gives up after `timeout_ms`, or soon
// after `cancelled()` returns true (polled about every 50 ms). Never throws.
PeerCertificate fetchPeerCertificate(const std::string& host, int port, int64_t timeout_ms,
                                     const std::function<bool()>& cancelled);

} // namespace bambuddy::printer_bambu
