#include "support/bambu_sim_process.h"

#include "support/child_process.h"
#include "support/mosquitto_broker.h"
#include "support/temp_dir.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bambuddy::testing {

std::string bambuPrinterSimBinary() {
  const char* env = std::getenv("BAMBU_PRINTER_SIM_BINARY");
  if (env != nullptr && *env != '\0') {
    return env;
  }
#ifdef BAMBU_PRINTER_SIM_BINARY
  return BAMBU_PRINTER_SIM_BINARY;
#else
  return "bambu_printer_sim";
#endif
}

std::vector<std::string> BambuSimProcess::argsFor(const MosquittoBroker& broker, const std::string& serial,
                                                  int64_t interval_ms) {
  return {"--host",        broker.host(),
          "--port",        std::to_string(broker.port()),
          "--cafile",      broker.caFile(),
          "--user",        broker.user(),
          "--password",    broker.password(),
          "--serial",      serial,
          "--interval-ms", std::to_string(interval_ms)};
}

BambuSimProcess::BambuSimProcess(const std::vector<std::string>& args) {
  // stdin is a socket pair rather than a pipe so send() can use MSG_NOSIGNAL: a simulator that
  // died must fail the test, not kill it with SIGPIPE.
  int in_pipe[2];
  int out_pipe[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pipe) != 0) {
    throw std::runtime_error("socketpair failed");
  }
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    close(in_pipe[0]);
    close(in_pipe[1]);
    throw std::runtime_error("pipe2 failed");
  }
  const char* base = std::getenv("TMPDIR");
  stderr_path_ = std::string(base && *base ? base : "/tmp") + "/bambu-sim-stderr-XXXXXX";
  int err_fd = mkostemp(stderr_path_.data(), O_CLOEXEC);
  std::vector<std::string> argv{bambuPrinterSimBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  try {
    if (err_fd < 0) {
      throw std::runtime_error("mkostemp failed");
    }
    pid_ = spawnChild(argv, ChildFds{in_pipe[0], out_pipe[1], err_fd});
  } catch (...) {
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_fd}) {
      if (fd >= 0) {
        close(fd);
      }
    }
    throw;
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_fd);
  stdin_fd_ = in_pipe[1];
  const int out_fd = out_pipe[0];
  reader_ = std::thread([this, out_fd] { readLoop(out_fd); });
}

BambuSimProcess::~BambuSimProcess() {
  if (!exited_ && pid_ > 0) {
    send("quit");
    if (reap(3000) == -1 && !exited_) {
      int status = terminateChild(pid_, 2000);
      exited_ = true;
      (void)status;
    }
  }
  if (stdin_fd_ >= 0) {
    close(stdin_fd_);
  }
  if (reader_.joinable()) {
    reader_.join(); // the child is gone, so its stdout is at EOF
  }
  unlink(stderr_path_.c_str());
}

void BambuSimProcess::readLoop(int fd) {
  std::string pending;
  char buffer[4096];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    pending.append(buffer, static_cast<size_t>(n));
    size_t newline;
    std::lock_guard<std::mutex> lock(mutex_);
    while ((newline = pending.find('\n')) != std::string::npos) {
      lines_.push_back(pending.substr(0, newline));
      pending.erase(0, newline + 1);
    }
    changed_.notify_all();
  }
  close(fd);
  std::lock_guard<std::mutex> lock(mutex_);
  if (!pending.empty()) {
    lines_.push_back(pending);
  }
  eof_ = true;
  changed_.notify_all();
}

bool BambuSimProcess::send(const std::string& line) {
  if (stdin_fd_ < 0) {
    return false;
  }
  std::string text = line + "\n";
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::send(stdin_fd_, text.data() + done, text.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

size_t BambuSimProcess::mark() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return lines_.size();
}

std::optional<std::string> BambuSimProcess::waitUntil(const std::function<bool(const std::string&)>& match,
                                                      int64_t timeout_ms, size_t from) const {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  size_t next = from;
  while (true) {
    for (; next < lines_.size(); ++next) {
      if (match(lines_[next])) {
        return lines_[next];
      }
    }
    if (eof_) {
      return std::nullopt; // the simulator is gone: nothing more will come
    }
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout && next == lines_.size()) {
      return std::nullopt;
    }
  }
}

std::optional<std::string> BambuSimProcess::waitLine(const std::string& prefix, int64_t timeout_ms,
                                                     size_t from) const {
  return waitUntil([&](const std::string& line) { return line.compare(0, prefix.size(), prefix) == 0; },
                   timeout_ms, from);
}

std::optional<std::string> BambuSimProcess::waitLineMatching(const std::regex& pattern, int64_t timeout_ms,
                                                             size_t from) const {
  return waitUntil([&](const std::string& line) { return std::regex_search(line, pattern); }, timeout_ms,
                   from);
}

size_t BambuSimProcess::countLines(const std::string& prefix, size_t from) const {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t count = 0;
  for (size_t i = from; i < lines_.size(); ++i) {
    count += lines_[i].compare(0, prefix.size(), prefix) == 0 ? 1 : 0;
  }
  return count;
}

std::vector<std::string> BambuSimProcess::lines(size_t from) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (from >= lines_.size()) {
    return {};
  }
  return {lines_.begin() + static_cast<std::ptrdiff_t>(from), lines_.end()};
}

std::string BambuSimProcess::stderrText() const {
  return readFile(stderr_path_);
}

std::string BambuSimProcess::transcript() const {
  std::string text;
  for (const auto& line : lines()) {
    text += line + "\n";
  }
  std::string err = stderrText();
  if (!err.empty()) {
    text += "--- stderr ---\n" + err;
  }
  return text;
}

int BambuSimProcess::reap(int64_t timeout_ms) {
  if (exited_) {
    return exit_code_;
  }
  int status = 0;
  if (!reapChild(pid_, timeout_ms, status)) {
    return -1;
  }
  exited_ = true;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return exit_code_;
}

int BambuSimProcess::quit(int64_t timeout_ms) {
  send("quit");
  return reap(timeout_ms);
}

bool BambuSimProcess::running() {
  if (exited_) {
    return false;
  }
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    exited_ = true;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return false;
  }
  return true;
}

} // namespace bambuddy::testing
