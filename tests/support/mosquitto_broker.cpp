#include "support/mosquitto_broker.h"

#include "support/child_process.h"
#include "support/loopback_port.h"
#include "support/test_cert.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace bambuddy::testing {
namespace {

// Debian installs the broker in /usr/sbin, which is not on every user's PATH.
std::string findExecutable(const std::string& name) {
  const char* path_env = std::getenv("PATH");
  std::string paths = std::string(path_env != nullptr ? path_env : "") + ":/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= paths.size()) {
    size_t end = paths.find(':', start);
    if (end == std::string::npos) {
      end = paths.size();
    }
    std::string dir = paths.substr(start, end - start);
    if (!dir.empty()) {
      std::string candidate = dir + "/" + name;
      if (access(candidate.c_str(), X_OK) == 0) {
        return candidate;
      }
    }
    start = end + 1;
  }
  throw std::runtime_error(name +
                           " not found on PATH (Debian package: mosquitto / mosquitto-clients / openssl)");
}

// Runs a setup tool (openssl, mosquitto_passwd) to completion; throws with its output on failure.
void runTool(const std::vector<std::string>& argv, const std::string& output_path) {
  int out = open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) {
    throw std::runtime_error("cannot create " + output_path + ": " + std::strerror(errno));
  }
  std::vector<std::string> resolved = argv;
  resolved[0] = findExecutable(argv[0]);
  pid_t pid = spawnChild(resolved, ChildFds{-1, out, out});
  close(out);
  int status = 0;
  if (!reapChild(pid, 30000, status)) {
    terminateChild(pid, 100);
    throw std::runtime_error(argv[0] + " did not finish within 30 s");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    // Only the tool's name: the mosquitto_passwd command line holds the password.
    throw std::runtime_error(argv[0] + " failed (" + describeExitStatus(status) +
                             "): " + readFile(output_path));
  }
}

} // namespace

MosquittoBroker::MosquittoBroker(MosquittoBrokerOptions options) : options_(std::move(options)) {
  if (options_.user.empty() || options_.user.find(':') != std::string::npos) {
    throw std::invalid_argument("MosquittoBroker: the user name must be non-empty and contain no ':'");
  }
  if (options_.password.empty()) {
    throw std::invalid_argument("MosquittoBroker: the password must not be empty");
  }
}

MosquittoBroker::~MosquittoBroker() {
  if (pid_ > 0) {
    terminateChild(pid_, 2000);
    pid_ = -1;
  }
}

std::string MosquittoBroker::uri() const {
  return "ssl://" + host_ + ":" + std::to_string(port_);
}

void MosquittoBroker::prepareFiles() {
  const std::string d = dir_.path();
  const std::string tool_log = d + "/setup-tool.out";
  ca_file_ = d + "/ca.crt";
  server_cert_file_ = d + "/server.crt";
  // EC keys: generating them is instant, RSA keys would cost ~100 ms each per test.
  runTool({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
           "-keyout", d + "/ca.key", "-out", ca_file_, "-days", "30", "-subj", "/CN=bambuddy-test-ca"},
          tool_log);
  runTool({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
           d + "/server.key", "-out", d + "/server.csr", "-subj", "/CN=localhost"},
          tool_log);
  dir_.write("server-ext.cnf", "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                               "basicConstraints=CA:FALSE\n"
                               "keyUsage=digitalSignature,keyEncipherment\n"
                               "extendedKeyUsage=serverAuth\n");
  runTool({"openssl", "x509", "-req", "-in", d + "/server.csr", "-CA", ca_file_, "-CAkey", d + "/ca.key",
           "-CAcreateserial", "-out", server_cert_file_, "-days", "30", "-extfile", d + "/server-ext.cnf"},
          tool_log);
  fingerprint_ = certificateFingerprintSha256(server_cert_file_);

  const std::string passwd = dir_.write("passwd", "");
  runTool({"mosquitto_passwd", "-b", passwd, options_.user, options_.password}, tool_log);
  unlink(tool_log.c_str());

  config_file_ = d + "/mosquitto.conf";
  log_file_ = d + "/mosquitto.log";
  output_file_ = d + "/mosquitto.out";
  prepared_ = true;
}

void MosquittoBroker::writeConfig() {
  const std::string d = dir_.path();
  std::string conf;
  // As root, mosquitto would drop to user 'mosquitto' and then fail to read the 0600 key.
  conf += "user root\n";
  conf += "per_listener_settings false\n";
  conf += "allow_anonymous false\n";
  conf += "password_file " + d + "/passwd\n";
  conf += "persistence false\n";
  // A file, not stdout: stdout is block-buffered when redirected, so lines would show up late.
  conf += "log_dest file " + log_file_ + "\n";
  if (options_.verbose_log) {
    conf += "log_type all\n";
  }
  conf += "listener " + std::to_string(port_) + " " + host_ + "\n";
  conf += "cafile " + ca_file_ + "\n";
  conf += "certfile " + server_cert_file_ + "\n";
  conf += "keyfile " + d + "/server.key\n";
  conf += "tls_version tlsv1.2\n"; // the minimum: TLS 1.3 clients are accepted too
  dir_.write("mosquitto.conf", conf);
}

void MosquittoBroker::launch() {
  int out = open(output_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (out < 0) {
    throw std::runtime_error("cannot create " + output_file_ + ": " + std::strerror(errno));
  }
  try {
    pid_ = spawnChild({findExecutable("mosquitto"), "-c", config_file_}, ChildFds{-1, out, out});
  } catch (...) {
    close(out);
    throw;
  }
  close(out);
}

bool MosquittoBroker::waitReady(std::string& why_not) {
  // An open port is no readiness signal: mosquitto listens before it has loaded the TLS key.
  // The probe is mosquitto_pub in its own process rather than a Paho client in ours: a second
  // Paho client in a process that already has one often needs 1-2 s to connect (its receive
  // thread polls with a 1 s timeout), which would slow every restart in tests.
  const std::string probe_out = dir_.path() + "/probe.out";
  const std::string mosquitto_pub = findExecutable("mosquitto_pub");
  const int64_t deadline = steadyNowMs() + options_.start_timeout_ms;
  std::string last_error;
  auto brokerExited = [&]() {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) != pid_) {
      return false;
    }
    pid_ = -1;
    why_not = "mosquitto exited (" + describeExitStatus(status) + ")";
    return true;
  };
  while (steadyNowMs() < deadline) {
    if (brokerExited()) {
      return false;
    }
    int out = open(probe_out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) {
      why_not = "cannot create " + probe_out;
      return false;
    }
    pid_t probe = spawnChild({mosquitto_pub, "-h", host_, "-p", std::to_string(port_), "--cafile", ca_file_,
                              "-u", options_.user, "-P", options_.password, "-i",
                              "bambuddy-broker-probe-" + std::to_string(++probe_count_), "-t",
                              "bambuddy/broker-probe", "-n", "-q", "1"},
                             ChildFds{-1, out, out});
    close(out);
    // A probe can hang on a broker that dies mid-handshake: watch both, bounded by the deadline.
    const int64_t probe_deadline = std::min(deadline, steadyNowMs() + 3000);
    int status = 0;
    bool finished = false;
    while (!(finished = reapChild(probe, 5, status)) && steadyNowMs() < probe_deadline) {
      if (brokerExited()) {
        terminateChild(probe, 100);
        return false;
      }
    }
    if (!finished) {
      terminateChild(probe, 100);
      last_error = "mosquitto_pub got no answer";
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      return true;
    } else {
      last_error = readFile(probe_out);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (brokerExited()) {
    return false;
  }
  why_not = "no successful TLS + password connection within " + std::to_string(options_.start_timeout_ms) +
            " ms (last mosquitto_pub error: " + last_error + ")";
  return false;
}

void MosquittoBroker::start() {
  if (running()) {
    return;
  }
  const bool first_start = !prepared_;
  if (first_start) {
    prepareFiles();
    port_ = pickFreeLoopbackPort();
  }
  // Between picking a port and mosquitto binding it another process may take it: on a first
  // start pick another one. A restart must keep its port, so there it is an error.
  for (int attempt = 1;; ++attempt) {
    writeConfig();
    launch();
    std::string why_not;
    if (waitReady(why_not)) {
      return;
    }
    if (pid_ > 0) {
      terminateChild(pid_, 1000);
      pid_ = -1;
    }
    const bool port_taken = log().find("Address already in use") != std::string::npos;
    if (first_start && port_taken && attempt < 5) {
      port_ = pickFreeLoopbackPort();
      continue;
    }
    throw std::runtime_error("mosquitto failed to start on " + host_ + ":" + std::to_string(port_) + ": " +
                             why_not + "\n--- broker log (" + dir() + ") ---\n" + log());
  }
}

void MosquittoBroker::stop() {
  if (pid_ > 0) {
    terminateChild(pid_, 5000);
    pid_ = -1;
  }
}

void MosquittoBroker::restart() {
  stop();
  start();
}

bool MosquittoBroker::running() {
  if (pid_ <= 0) {
    return false;
  }
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string MosquittoBroker::log() const {
  std::string text = log_file_.empty() ? std::string() : readFile(log_file_);
  std::string output = output_file_.empty() ? std::string() : readFile(output_file_);
  if (!output.empty()) {
    text += "--- broker stdout/stderr ---\n" + output;
  }
  return text;
}

size_t MosquittoBroker::countInLog(const std::string& needle) const {
  if (needle.empty()) {
    return 0;
  }
  const std::string text = log();
  size_t count = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + needle.size())) {
    ++count;
  }
  return count;
}

} // namespace bambuddy::testing
