// A private PostgreSQL 15 server for tests and benchmarks: its own cluster (initdb) in a temp dir,
// listening on a free loopback port only, with fsync off (tests need speed, not crash safety of
// the database server itself). PostgreSQL refuses to run as root, so when the test runs as root the
// server runs as the Debian package's `postgres` user (through setpriv, which execs in place, so
// the child is the server itself and dies with the test). start() returns only once a real
// connection succeeds; the destructor stops the server and removes its directory.
#pragma once

#include "support/temp_dir.h"

#include <cstdint>
#include <functional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace bambuddy::testing {

struct PostgresServerOptions {
  std::string user = "bambuddy"; // the cluster's superuser, the one tests connect as
  int64_t start_timeout_ms = 30000;
};

class PostgresServer {
public:
  explicit PostgresServer(PostgresServerOptions options = {});
  ~PostgresServer(); // stop(), then the cluster directory goes
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // The directory of initdb and postgres, "" when PostgreSQL 15 is not installed (scripts/setup
  // installs it).
  static std::string binDir();

  // The first call creates the cluster (initdb, trust authentication on loopback). Throws
  // std::runtime_error with the server's log when it does not become ready.
  void start();
  // Like start(), but through pg_ctl, so the server is a daemon that outlives this object and this
  // process (the children start() makes die with their test). For a server that several test
  // processes share: tests/support/shared_postgres.h. The cluster stays in `directory` (created
  // if missing, reachable by the server's account), not in a temp dir; stopDetached() ends it.
  void startDetached(const std::string& directory);
  // Stops the detached server whose cluster is in `directory` (pg_ctl stop, fast mode) and removes
  // the directory. Throws std::runtime_error with pg_ctl's output when the server does not stop.
  static void stopDetached(const std::string& directory);
  // Fast shutdown (SIGINT: sessions are cut, the cluster stays consistent); SIGKILL after 10 s.
  void stop();
  // SIGKILL, as a crashed machine would leave it (failover tests); start() again recovers it.
  void kill();
  // SIGSTOP to the server and its backends: connections stay open and nothing answers, as with a
  // frozen machine or a network that drops packets. thaw() (SIGCONT) lets them go on.
  void freeze();
  void thaw();
  bool running();

  uint16_t port() const { return port_; }
  const std::string& user() const { return options_.user; }
  // Creates an empty database and returns its URL, postgresql://<user>@127.0.0.1:<port>/<name>.
  // `name`: lower-case letters, digits and '_'. Throws std::runtime_error.
  std::string createDatabase(const std::string& name);
  std::string url(const std::string& database) const;
  // libpq's key=value form of the same (what PQconnectdb takes).
  std::string connectionString(const std::string& database) const;
  // The server's log so far (stdout and stderr).
  std::string log() const;

private:
  void initCluster();
  void runAsServerUser(const std::vector<std::string>& argv, int log_fd, pid_t* pid_out);
  bool canConnect(std::string* problem) const;
  std::vector<std::string> serverArguments() const; // port, socket dir, loopback only, no fsync
  // Until a real connection succeeds; throws when `alive` says the server died or time runs out.
  void waitUntilReady(const std::function<bool()>& alive);

  PostgresServerOptions options_;
  TempDir dir_;
  std::string data_dir_;
  std::string log_path_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  bool initialized_ = false;
};

} // namespace bambuddy::testing
