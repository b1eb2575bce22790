#include "support/test_cert.h"

#include "support/server_process.h"

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

} // namespace bambuddy::testing
