#include "support/test_cert.h"

#include "support/server_process.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <stdexcept>

namespace bambuddy::testing {

TestCert makeSelfSignedCert(const std::string& dir, const std::string& name) {
  TestCert out;
  out.cert_path = dir + "/" + name + ".crt";
  out.key_path = dir + "/" + name + ".key";
  ProcessResult r = runProcess({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", out.key_path, "-out",
                                out.cert_path, "-days", "2", "-subj", "/CN=localhost", "-addext",
                                "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"},
                               {}, 30000);
  if (r.exit_code != 0) {
    out.error = "openssl req failed (exit " + std::to_string(r.exit_code) + "): " + r.stderr_text;
  }
  return out;
}

std::string certificateFingerprintSha256(const std::string& pem_path) {
  FILE* f = std::fopen(pem_path.c_str(), "r");
  if (f == nullptr) {
    throw std::runtime_error("cannot open " + pem_path);
  }
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (cert == nullptr) {
    throw std::runtime_error("cannot parse certificate " + pem_path);
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  int ok = X509_digest(cert, EVP_sha256(), md, &md_len);
  X509_free(cert);
  if (ok != 1) {
    throw std::runtime_error("X509_digest failed for " + pem_path);
  }
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < md_len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 0xF];
  }
  return out;
}

} // namespace bambuddy::testing
