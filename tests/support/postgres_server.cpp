#include "support/postgres_server.h"

#include "support/child_process.h"
#include "support/loopback_port.h"

#include <libpq-fe.h>

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace bambuddy::testing {

namespace {

constexpr const char* kServerUser = "postgres"; // the Debian package's account, used when we are root

bool isRoot() {
  return ::geteuid() == 0;
}

// Gives the directory (and what is below it) to the server's account when we are root.
void handOver(const std::string& path) {
  if (!isRoot()) {
    return;
  }
  const passwd* pw = ::getpwnam(kServerUser);
  if (pw == nullptr) {
    throw std::runtime_error(std::string("PostgreSQL cannot run as root and there is no '") + kServerUser +
                             "' user (install postgresql-15: scripts/setup)");
  }
  if (::chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
    throw std::runtime_error("cannot hand " + path + " to " + kServerUser);
  }
}

// When we are root, the server's account for spawnChild: it switches before exec, with the
// account's groups, and arms the parent-death signal after that (setpriv would leave the server
// without one: a test killed by its timeout would leave the server running).
std::optional<ChildUser> serverAccount() {
  if (!isRoot()) {
    return std::nullopt;
  }
  const passwd* pw = ::getpwnam(kServerUser);
  if (pw == nullptr) {
    throw std::runtime_error(std::string("PostgreSQL cannot run as root and there is no '") + kServerUser +
                             "' user");
  }
  ChildUser user;
  user.uid = pw->pw_uid;
  user.gid = pw->pw_gid;
  int count = 64;
  user.groups.resize(static_cast<size_t>(count));
  if (::getgrouplist(kServerUser, pw->pw_gid, user.groups.data(), &count) < 0) {
    user.groups.resize(static_cast<size_t>(count));
    ::getgrouplist(kServerUser, pw->pw_gid, user.groups.data(), &count);
  }
  user.groups.resize(static_cast<size_t>(count));
  return user;
}

bool validName(const std::string& name) {
  if (name.empty() || name.size() > 63) {
    return false;
  }
  for (char c : name) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
          c == '_')) {
      return false;
    }
  }
  return true;
}

} // namespace

std::string PostgresServer::binDir() {
  const std::string dir = "/usr/lib/postgresql/15/bin";
  return ::access((dir + "/postgres").c_str(), X_OK) == 0 && ::access((dir + "/initdb").c_str(), X_OK) == 0
             ? dir
             : "";
}

PostgresServer::PostgresServer(PostgresServerOptions options) : options_(std::move(options)) {
  data_dir_ = dir_.file("cluster");
  log_path_ = dir_.file("server.log");
}

PostgresServer::~PostgresServer() {
  stop();
}

void PostgresServer::runAsServerUser(const std::vector<std::string>& argv, int log_fd, pid_t* pid_out) {
  ChildFds fds;
  fds.stdout_fd = log_fd;
  fds.stderr_fd = log_fd;
  const std::optional<ChildUser> user = serverAccount();
  *pid_out = spawnChild(argv, fds, user ? &*user : nullptr);
}

void PostgresServer::initCluster() {
  if (binDir().empty()) {
    throw std::runtime_error("PostgreSQL 15 is not installed (/usr/lib/postgresql/15/bin; scripts/setup)");
  }
  // The temp dir is private to us; the server's account must reach the cluster inside it.
  ::chmod(dir_.path().c_str(), 0711);
  std::filesystem::create_directories(data_dir_);
  handOver(data_dir_);
  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    throw std::runtime_error("cannot open " + log_path_);
  }
  handOver(log_path_);
  pid_t pid = -1;
  // --no-locale: the C collation, so text compares bytewise as in SQLite.
  runAsServerUser({binDir() + "/initdb", "-D", data_dir_, "-U", options_.user, "--auth=trust",
                   "--encoding=UTF8", "--no-locale", "--no-sync"},
                  log_fd, &pid);
  ::close(log_fd);
  int status = 0;
  if (!reapChild(pid, 60000, status)) {
    terminateChild(pid, 1000);
    throw std::runtime_error("initdb did not finish within 60 s:\n" + log());
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("initdb failed (" + describeExitStatus(status) + "):\n" + log());
  }
  initialized_ = true;
}

std::vector<std::string> PostgresServer::serverArguments() const {
  return {"-p", std::to_string(port_),        "-k", data_dir_,
          "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
          "-c", "full_page_writes=off",       "-c", "max_connections=300"};
}

void PostgresServer::start() {
  if (running()) {
    return;
  }
  if (!initialized_) {
    initCluster();
  }
  if (port_ == 0) {
    port_ = pickFreeLoopbackPort();
  }
  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (log_fd < 0) {
    throw std::runtime_error("cannot open " + log_path_);
  }
  std::vector<std::string> argv = {binDir() + "/postgres", "-D", data_dir_};
  const std::vector<std::string> rest = serverArguments();
  argv.insert(argv.end(), rest.begin(), rest.end());
  runAsServerUser(argv, log_fd, &pid_);
  ::close(log_fd);
  waitUntilReady([this] { return running(); });
}

void PostgresServer::waitUntilReady(const std::function<bool()>& alive) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.start_timeout_ms);
  std::string problem;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!alive()) {
      throw std::runtime_error("PostgreSQL exited while starting:\n" + log());
    }
    if (canConnect(&problem)) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20)); // polling a condition, with a deadline
  }
  stop();
  throw std::runtime_error("PostgreSQL did not accept a connection within " +
                           std::to_string(options_.start_timeout_ms) + " ms (" + problem + "):\n" + log());
}

void PostgresServer::startDetached(const std::string& directory) {
  std::filesystem::create_directories(directory);
  ::chmod(directory.c_str(), 0711); // the server's account reaches the cluster inside it
  data_dir_ = directory + "/cluster";
  log_path_ = directory + "/server.log";
  initCluster();
  port_ = pickFreeLoopbackPort();
  std::string options;
  for (const std::string& arg : serverArguments()) {
    options += (options.empty() ? "" : " ") + arg;
  }
  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (log_fd < 0) {
    throw std::runtime_error("cannot open " + log_path_);
  }
  // pg_ctl forks the server off as a daemon: unlike our own children it survives this process.
  // -W: readiness is checked below with a real connection, like start() does.
  pid_t ctl = -1;
  runAsServerUser({binDir() + "/pg_ctl", "-D", data_dir_, "-l", log_path_, "-o", options, "-W", "start"},
                  log_fd, &ctl);
  ::close(log_fd);
  int status = 0;
  if (!reapChild(ctl, 30000, status) || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("pg_ctl start failed:\n" + log());
  }
  waitUntilReady([] { return true; });
}

void PostgresServer::stopDetached(const std::string& directory) {
  const std::string data_dir = directory + "/cluster";
  if (std::filesystem::exists(data_dir + "/postmaster.pid")) {
    ChildFds fds;
    const std::optional<ChildUser> user = serverAccount();
    pid_t ctl = spawnChild({binDir() + "/pg_ctl", "-D", data_dir, "-m", "fast", "-w", "stop"}, fds,
                           user ? &*user : nullptr);
    int status = 0;
    if (!reapChild(ctl, 60000, status) || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      throw std::runtime_error("pg_ctl stop failed for " + data_dir + " (" + describeExitStatus(status) +
                               ")");
    }
  }
  std::error_code ignored;
  std::filesystem::remove_all(directory, ignored);
}

void PostgresServer::stop() {
  if (pid_ <= 0) {
    return;
  }
  ::kill(pid_, SIGINT); // fast shutdown
  int status = 0;
  if (!reapChild(pid_, 10000, status)) {
    ::kill(pid_, SIGKILL);
    reapChild(pid_, 5000, status);
  }
  pid_ = -1;
}

void PostgresServer::kill() {
  if (pid_ <= 0) {
    return;
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  reapChild(pid_, 5000, status);
  pid_ = -1;
}

namespace {

// The server process and its direct children (the backends), from /proc.
std::vector<pid_t> serverProcesses(pid_t server) {
  std::vector<pid_t> out{server};
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) {
      continue;
    }
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) {
      continue;
    }
    // pid (comm) state ppid ...: the name may hold spaces, so read after the last ')'.
    const size_t close = line.rfind(')');
    if (close == std::string::npos) {
      continue;
    }
    std::istringstream rest(line.substr(close + 1));
    std::string state;
    long ppid = 0;
    rest >> state >> ppid;
    if (ppid == server) {
      out.push_back(static_cast<pid_t>(std::stol(name)));
    }
  }
  return out;
}

} // namespace

void PostgresServer::freeze() {
  if (pid_ > 0) {
    for (pid_t pid : serverProcesses(pid_)) {
      ::kill(pid, SIGSTOP);
    }
  }
}

void PostgresServer::thaw() {
  if (pid_ > 0) {
    for (pid_t pid : serverProcesses(pid_)) {
      ::kill(pid, SIGCONT);
    }
  }
}

bool PostgresServer::running() {
  if (pid_ <= 0) {
    return false;
  }
  int status = 0;
  if (reapChild(pid_, 0, status)) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string PostgresServer::connectionString(const std::string& database) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=" + options_.user + " dbname=" + database +
         " connect_timeout=5";
}

std::string PostgresServer::url(const std::string& database) const {
  return "postgresql://" + options_.user + "@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

bool PostgresServer::canConnect(std::string* problem) const {
  PGconn* conn = PQconnectdb(connectionString("postgres").c_str());
  const bool ok = PQstatus(conn) == CONNECTION_OK;
  if (!ok && problem != nullptr) {
    *problem = PQerrorMessage(conn);
  }
  PQfinish(conn);
  return ok;
}

std::string PostgresServer::createDatabase(const std::string& name) {
  if (!validName(name)) {
    throw std::runtime_error("database name '" + name + "': lower-case letters, digits and '_' only");
  }
  PGconn* conn = PQconnectdb(connectionString("postgres").c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string why = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("cannot connect to create database " + name + ": " + why);
  }
  PGresult* result = PQexec(conn, ("CREATE DATABASE " + name).c_str());
  const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
  std::string why = ok ? "" : PQerrorMessage(conn);
  PQclear(result);
  PQfinish(conn);
  if (!ok) {
    throw std::runtime_error("CREATE DATABASE " + name + " failed: " + why);
  }
  return url(name);
}

std::string PostgresServer::log() const {
  std::ifstream in(log_path_);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

} // namespace bambuddy::testing
