#include "support/server_process.h"

#include "support/shared_postgres.h"
#include "support/temp_dir.h"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <regex>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace bambuddy::testing {
namespace {

int64_t nowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string makeLogPath() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/bambuddy-proc-XXXXXX";
  int fd = mkstemp(pattern.data());
  if (fd < 0) {
    throw std::runtime_error("mkstemp failed");
  }
  close(fd);
  return pattern;
}

pid_t spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            const std::string& stdout_path, const std::string& stderr_path) {
  pid_t pid = fork();
  if (pid < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {
    int out = open(stdout_path.c_str(), O_WRONLY | O_TRUNC);
    int err = open(stderr_path.c_str(), O_WRONLY | O_TRUNC);
    int in = open("/dev/null", O_RDONLY);
    if (out < 0 || err < 0 || in < 0) {
      _exit(127);
    }
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    for (const auto& [k, v] : env) {
      setenv(k.c_str(), v.c_str(), 1);
    }
    std::vector<char*> args;
    for (const auto& a : argv) {
      args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    execve(args[0], args.data(), environ);
    _exit(127);
  }
  return pid;
}

// Polls waitpid until the child exits or the deadline passes. Returns true when it exited.
bool reap(pid_t pid, int64_t timeout_ms, int& status) {
  int64_t deadline = nowMs() + timeout_ms;
  while (true) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      return true;
    }
    if (r < 0 || nowMs() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

int exitCodeOf(int status, int* signal_out = nullptr) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (signal_out != nullptr && WIFSIGNALED(status)) {
    *signal_out = WTERMSIG(status);
  }
  return -1;
}

// The data directory a server will use, as far as its arguments tell.
std::string dataDirKey(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
  auto data_dir = env.find("BAMBUDDY_DATA_DIR");
  if (data_dir != env.end()) {
    return data_dir->second;
  }
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--config" || args[i] == "-c") {
      return std::filesystem::absolute(args[i + 1]).parent_path().string();
    }
  }
  return "default";
}

} // namespace

ProcessResult runProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                         int64_t timeout_ms) {
  std::string out_path = makeLogPath();
  std::string err_path = makeLogPath();
  pid_t pid = spawn(argv, env, out_path, err_path);
  int status = 0;
  ProcessResult result;
  if (!reap(pid, timeout_ms, status)) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  result.exit_code = exitCodeOf(status, &result.signal);
  result.stdout_text = readFile(out_path);
  result.stderr_text = readFile(err_path);
  unlink(out_path.c_str());
  unlink(err_path.c_str());
  return result;
}

ServerProcess::ServerProcess(const std::string& binary, const std::vector<std::string>& args,
                             const std::map<std::string, std::string>& env) {
  log_path_ = makeLogPath();
  std::vector<std::string> argv{binary};
  argv.insert(argv.end(), args.begin(), args.end());
  std::map<std::string, std::string> child_env = env;
  if (onSharedPostgres() && child_env.count("BAMBUDDY_DATABASE_URL") == 0) {
    database_key_ = dataDirKey(args, env);
    child_env["BAMBUDDY_DATABASE_URL"] = sharedPostgresDatabase(database_key_);
  }
  pid_ = spawn(argv, child_env, "/dev/null", log_path_);
}

ServerProcess::~ServerProcess() {
  if (!exited_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  unlink(log_path_.c_str());
}

bool ServerProcess::waitReady(int64_t timeout_ms) {
  static const std::regex ready("listening on \\[?([0-9a-fA-F:.]+|localhost)\\]?:([0-9]+)");
  int64_t deadline = nowMs() + timeout_ms;
  while (nowMs() < deadline) {
    std::smatch m;
    std::string text = log();
    if (std::regex_search(text, m, ready)) {
      port_ = static_cast<uint16_t>(std::stoi(m[2].str()));
      return true;
    }
    if (!running()) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

bool ServerProcess::running() {
  if (exited_) {
    return false;
  }
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    exited_ = true;
    exit_code_ = exitCodeOf(status);
    return false;
  }
  return true;
}

int ServerProcess::waitExit(int64_t timeout_ms) {
  if (exited_) {
    return exit_code_;
  }
  int status = 0;
  if (reap(pid_, timeout_ms, status)) {
    exited_ = true;
    exit_code_ = exitCodeOf(status);
    return exit_code_;
  }
  return -1;
}

int ServerProcess::stop(int64_t timeout_ms) {
  if (running()) {
    kill(pid_, SIGTERM);
  }
  return waitExit(timeout_ms);
}

std::string ServerProcess::log() const {
  return readFile(log_path_);
}

std::string serverBinary() {
#ifdef BAMBUDDY_SERVER_BINARY
  return BAMBUDDY_SERVER_BINARY;
#else
  const char* env = std::getenv("BAMBUDDY_SERVER_BINARY");
  return env != nullptr ? env : "bambuddy";
#endif
}

std::string pluginDir() {
#ifdef BAMBUDDY_PLUGIN_DIR
  return BAMBUDDY_PLUGIN_DIR;
#else
  const char* env = std::getenv("BAMBUDDY_PLUGIN_DIR");
  return env != nullptr ? env : "plugins";
#endif
}

} // namespace bambuddy::testing
