#include "support/ftps_server.h"

#include "support/child_process.h"
#include "support/loopback_port.h"
#include "support/test_cert.h"

#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <cerrno>
#include <crypt.h>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace bambuddy::testing {
namespace {

const char* kProftpd = "/usr/sbin/proftpd";
const char* kUnshare = "/usr/bin/unshare";

std::string passwordHash(const std::string& password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$6$", 0, nullptr, 0, salt, sizeof salt) == nullptr) {
    throw std::runtime_error(std::string("crypt_gensalt: ") + std::strerror(errno));
  }
  crypt_data data{};
  const char* hash = crypt_r(password.c_str(), salt, &data);
  if (hash == nullptr || hash[0] == '*') {
    throw std::runtime_error("crypt failed for the FTPS test user");
  }
  return hash;
}

// A TCP connection, a TLS handshake and the 220 greeting: what a client needs before USER.
bool greetingArrives(const std::string& host, uint16_t port, std::string& error) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  timeval timeout{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  ::inet_pton(AF_INET, host.c_str(), &address.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    error = std::string("connect: ") + std::strerror(errno);
    ::close(fd);
    return false;
  }
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = ctx != nullptr ? SSL_new(ctx) : nullptr;
  bool ok = false;
  if (ssl != nullptr && SSL_set_fd(ssl, fd) == 1 && SSL_connect(ssl) == 1) {
    std::string greeting;
    char buffer[512];
    while (greeting.find('\n') == std::string::npos && greeting.size() < 4096) {
      int n = SSL_read(ssl, buffer, sizeof buffer);
      if (n <= 0) {
        break;
      }
      greeting.append(buffer, static_cast<size_t>(n));
    }
    ok = greeting.rfind("220", 0) == 0;
    error = ok ? "" : "no 220 greeting (got '" + greeting.substr(0, 100) + "')";
  } else {
    error = "TLS handshake failed";
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ::close(fd);
  return ok;
}

// The parent pid from /proc/<pid>/stat ("pid (comm) state ppid ..."; comm may hold spaces).
pid_t parentOf(const std::string& pid) {
  std::string stat = readFile("/proc/" + pid + "/stat");
  size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 4 >= stat.size()) {
    return -1;
  }
  size_t start = stat.find(' ', close + 2); // after the state letter
  return start == std::string::npos ? -1 : static_cast<pid_t>(std::atol(stat.c_str() + start + 1));
}

size_t countOf(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); !needle.empty() && at != std::string::npos;
       at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

} // namespace

FtpsServer::FtpsServer(FtpsServerOptions options) : options_(std::move(options)) {
  for (char c : options_.user + options_.password) {
    if (c == ':' || c == '\n' || c == '\0') {
      throw std::invalid_argument("FtpsServer: user and password must not contain ':' or line breaks");
    }
  }
  if (options_.user.empty() || options_.password.empty()) {
    throw std::invalid_argument("FtpsServer: user and password must not be empty");
  }
}

FtpsServer::~FtpsServer() {
  stop();
}

void FtpsServer::prepareFiles() {
  const std::string d = dir_.path();
  TestCert cert = makeSelfSignedCert(d, "ftps");
  if (!cert.ok()) {
    throw std::runtime_error("FtpsServer: " + cert.error);
  }
  cert_file_ = cert.cert_path;
  key_file_ = cert.key_path;
  ::chmod(key_file_.c_str(), 0600); // mod_tls refuses a key others can read
  fingerprint_ = certificateFingerprintSha256(cert_file_);

  storage_dir_ = options_.storage_dir.empty() ? d + "/storage" : options_.storage_dir;
  if (::mkdir(storage_dir_.c_str(), 0755) != 0 && errno != EEXIST) {
    throw std::runtime_error("FtpsServer: cannot create " + storage_dir_ + ": " + std::strerror(errno));
  }
  // The user is uid 0: the real root in CI, else the current user mapped to root in a user
  // namespace (see launch()), so files land as the current user either way.
  const std::string passwd = dir_.write("passwd", options_.user + ":" + passwordHash(options_.password) +
                                                      ":0:0::" + storage_dir_ + ":/bin/false\n");
  ::chmod(passwd.c_str(), 0600); // proftpd refuses a world-readable AuthUserFile
  config_file_ = d + "/proftpd.conf";
  output_file_ = d + "/proftpd.out";
  prepared_ = true;
}

void FtpsServer::writeConfig() {
  const std::string d = dir_.path();
  const passwd* user = ::getpwuid(0);
  const group* grp = ::getgrgid(0);
  if (user == nullptr || grp == nullptr) {
    throw std::runtime_error("FtpsServer: uid 0 or gid 0 has no name");
  }
  std::string c;
  c += "ServerType standalone\n";
  c += "ServerName \"bambuddy test storage\"\n";
  c += "DefaultAddress " + host_ + "\n";
  c += "SocketBindTight on\n";
  c += "Port " + std::to_string(port_) + "\n";
  c += "UseIPv6 off\n";
  c += "User " + std::string(user->pw_name) + "\n";
  c += "Group " + std::string(grp->gr_name) + "\n";
  c += "PidFile \"" + d + "/proftpd.pid\"\n";
  c += "ScoreboardFile \"" + d + "/proftpd.scoreboard\"\n";
  c += "DelayTable none\n";
  c += "<IfModule mod_delay.c>\n  DelayEngine off\n</IfModule>\n"; // refused logins answer at once
  c += "WtmpLog off\n";
  c += "TransferLog none\n";                                          // else /var/log/xferlog
  c += "<IfModule mod_ctrls.c>\n  ControlsEngine off\n</IfModule>\n"; // else a socket in /run
  c += "UseReverseDNS off\n";
  c += "ModulePath /usr/lib/proftpd\n";
  c += "LoadModule mod_tls.c\n";
  c += "AuthOrder mod_auth_file.c\n";
  c += "AuthUserFile \"" + d + "/passwd\"\n";
  c += "RequireValidShell off\n";
  c += "RootLogin on\n";
  c += "DefaultRoot ~\n";
  c += "AllowOverwrite on\n";
  c += "MaxInstances 50\n";
  // No PassivePorts: the kernel picks each passive port (bound to 127.0.0.1 with port 0), so
  // servers of tests running in parallel can never collide, which a fixed range could.
  c += "SystemLog \"" + d + "/system.log\"\n";
  c += "ExtendedLog \"" + d + "/cmd.log\" ALL\n";
  if (options_.max_store_file_size_bytes > 0) {
    c += "MaxStoreFileSize " + std::to_string(options_.max_store_file_size_bytes) + " B\n";
  }
  c += "TLSEngine on\n";
  c += "TLSLog \"" + d + "/tls.log\"\n";
  c += "TLSProtocol TLSv1.2 TLSv1.3\n";
  c += "TLSECCertificateFile \"" + cert_file_ + "\"\n";
  c += "TLSECCertificateKeyFile \"" + key_file_ + "\"\n";
  // Implicit TLS; TLS session reuse on the data channel stays required (no NoSessionReuseRequired).
  c += "TLSOptions UseImplicitSSL\n";
  c += "TLSVerifyClient off\n";
  if (options_.refuse_protected_data) {
    c += "TLSRequired ctrl\n";
    c += "LoadModule mod_rewrite.c\n";
    c += "RewriteEngine on\n";
    c += "RewriteCondition %m PROT\n";
    c += "RewriteRule ^[Pp]$ X\n";
  } else {
    c += "TLSRequired on\n";
  }
  dir_.write("proftpd.conf", c);
}

void FtpsServer::launch() {
  int out = ::open(output_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (out < 0) {
    throw std::runtime_error("cannot create " + output_file_ + ": " + std::strerror(errno));
  }
  try {
    // proftpd needs root for DefaultRoot (chroot). A normal user runs it as root of a user
    // namespace of its own (unshare execs proftpd in place, so pid_ is proftpd's).
    std::vector<std::string> argv = {kProftpd, "--nodaemon", "--config", config_file_};
    if (::geteuid() != 0) {
      argv.insert(argv.begin(), {kUnshare, "--user", "--map-root-user"});
    }
    pid_ = spawnChild(argv, ChildFds{-1, out, out});
  } catch (...) {
    ::close(out);
    throw;
  }
  ::close(out);
}

bool FtpsServer::waitReady(std::string& why_not) {
  const int64_t deadline = steadyNowMs() + options_.start_timeout_ms;
  std::string last_error;
  while (steadyNowMs() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      why_not = "proftpd exited (" + describeExitStatus(status) + ")";
      return false;
    }
    if (greetingArrives(host_, port_, last_error)) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10)); // polls a condition, bounded above
  }
  why_not =
      "no TLS greeting within " + std::to_string(options_.start_timeout_ms) + " ms (" + last_error + ")";
  return false;
}

void FtpsServer::start() {
  if (running()) {
    return;
  }
  if (::access(kProftpd, X_OK) != 0) {
    throw std::runtime_error(std::string(kProftpd) + " not found (Debian packages proftpd-core and "
                                                     "proftpd-mod-crypto; scripts/setup installs them)");
  }
  const bool first_start = !prepared_;
  if (first_start) {
    prepareFiles();
    port_ = pickFreeLoopbackPort();
  }
  // Another process may take the port between picking and binding: a first start picks again.
  for (int attempt = 1;; ++attempt) {
    writeConfig();
    launch();
    std::string why_not;
    if (waitReady(why_not)) {
      return;
    }
    stop();
    const bool port_taken = log().find("already in use") != std::string::npos;
    if (first_start && port_taken && attempt < 5) {
      port_ = pickFreeLoopbackPort();
      continue;
    }
    throw std::runtime_error("proftpd failed to start on " + host_ + ":" + std::to_string(port_) + ": " +
                             why_not + "\n--- proftpd logs (" + dir() + ") ---\n" + log());
  }
}

std::vector<pid_t> FtpsServer::sessionPids() const {
  std::vector<pid_t> pids;
  if (pid_ <= 0) {
    return pids;
  }
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) {
    return pids;
  }
  while (dirent* entry = ::readdir(proc)) {
    if (entry->d_name[0] >= '1' && entry->d_name[0] <= '9' && parentOf(entry->d_name) == pid_) {
      pids.push_back(static_cast<pid_t>(std::atol(entry->d_name)));
    }
  }
  ::closedir(proc);
  return pids;
}

void FtpsServer::stop() {
  if (pid_ <= 0) {
    return;
  }
  // Sessions are the listener's children, not ours: stopped ones are continued so they can die,
  // and any left after the listener went are killed.
  std::vector<pid_t> sessions = sessionPids();
  for (pid_t session : sessions) {
    ::kill(session, SIGCONT);
  }
  paused_.clear();
  terminateChild(pid_, 5000);
  pid_ = -1;
  for (pid_t session : sessions) {
    ::kill(session, SIGKILL);
  }
}

bool FtpsServer::running() {
  if (pid_ <= 0) {
    return false;
  }
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

size_t FtpsServer::pauseSessions() {
  std::vector<pid_t> sessions = sessionPids();
  for (pid_t session : sessions) {
    if (::kill(session, SIGSTOP) == 0) {
      paused_.push_back(session);
    }
  }
  return sessions.size();
}

size_t FtpsServer::resumeSessions() {
  size_t count = 0;
  for (pid_t session : paused_) {
    count += ::kill(session, SIGCONT) == 0 ? 1 : 0;
  }
  paused_.clear();
  return count;
}

std::string FtpsServer::commandLog() const {
  return prepared_ ? readFile(dir_.file("cmd.log")) : std::string();
}

std::string FtpsServer::tlsLog() const {
  return prepared_ ? readFile(dir_.file("tls.log")) : std::string();
}

std::string FtpsServer::log() const {
  if (!prepared_) {
    return "";
  }
  return "--- system.log ---\n" + readFile(dir_.file("system.log")) + "--- tls.log ---\n" + tlsLog() +
         "--- cmd.log ---\n" + commandLog() + "--- stdout/stderr ---\n" + readFile(output_file_);
}

size_t FtpsServer::countInCommandLog(const std::string& needle) const {
  return countOf(commandLog(), needle);
}

} // namespace bambuddy::testing
