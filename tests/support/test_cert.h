// Self-signed TLS certificates for tests, made with the openssl command-line tool.
#pragma once

#include <string>

namespace bambuddy::testing {

struct TestCert {
  std::string cert_path; // PEM certificate: CN=localhost, SAN DNS:localhost, IP:127.0.0.1, IP:::1
  std::string key_path;  // PEM private key (P-256, unencrypted)
  std::string error;     // empty on success; otherwise what openssl said
  bool ok() const { return error.empty(); }
};

// Writes <dir>/<name>.crt and <dir>/<name>.key, valid for two days. The certificate is its own CA,
// so a client trusts it by using cert_path as its CA file.
TestCert makeSelfSignedCert(const std::string& dir, const std::string& name = "test");

// SHA-256 over the DER bytes of the PEM certificate at `pem_path`: 64 lower-case hex digits, the
// form of a printer's tls.fingerprint_sha256. Throws std::runtime_error.
std::string certificateFingerprintSha256(const std::string& pem_path);

} // namespace bambuddy::testing
