// Runs the real server binary as a child process for integration tests: its stderr goes to a file,
// readiness is the "listening on HOST:PORT" log line (so port 0 works), stop is SIGTERM.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

namespace bambuddy::testing {

struct ProcessResult {
  int exit_code = -1; // -1 when killed by a signal
  int signal = 0;
  std::string stdout_text;
  std::string stderr_text;
};

// Runs a command to completion (with a deadline; killed with SIGKILL after it).
ProcessResult runProcess(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env = {}, int64_t timeout_ms = 30000);

class ServerProcess {
public:
  // Starts `binary` with `args`; `env` entries are added to the current environment. In the
  // suite's PostgreSQL pass (support/shared_postgres.h) the server gets BAMBUDDY_DATABASE_URL: a
  // database of the shared server that belongs to its data directory (BAMBUDDY_DATA_DIR in `env`,
  // else the directory of --config), unless `env` names one itself.
  ServerProcess(const std::string& binary, const std::vector<std::string>& args,
                const std::map<std::string, std::string>& env = {});
  ~ServerProcess(); // SIGKILL if still running

  // Waits for the readiness line; false on timeout or early exit (see log()).
  bool waitReady(int64_t timeout_ms = 10000);
  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }

  // Sends SIGTERM and waits; returns the exit code (-1 if killed by a signal or timed out).
  int stop(int64_t timeout_ms = 15000);
  // Waits for exit without signalling.
  int waitExit(int64_t timeout_ms = 15000);
  bool running();

  std::string log() const; // everything the server wrote to stderr so far
  // What the PostgreSQL pass keyed this server's database on ("" in the SQLite pass): pass it to
  // sharedPostgresConnectionString() to read that database.
  const std::string& databaseKey() const { return database_key_; }

private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string log_path_;
  std::string database_key_;
  int exit_code_ = -1;
  bool exited_ = false;
};

// The build tree's server binary and plugin directory (set by CMake for the test executables).
std::string serverBinary();
std::string pluginDir();

} // namespace bambuddy::testing
