#include "stdin_reader.h"

#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <unistd.h>

namespace bambusim {

constexpr size_t kMaxLineBytes = 64 * 1024;

StdinReader::StdinReader(std::function<void(std::string)> on_line) : on_line_(std::move(on_line)) {
  if (pipe2(wake_fds_, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe2 failed");
  }
  thread_ = std::thread([this] { loop(); });
}

StdinReader::~StdinReader() {
  stop();
  close(wake_fds_[0]);
  close(wake_fds_[1]);
}

void StdinReader::stop() {
  if (thread_.joinable()) {
    char byte = 1;
    while (write(wake_fds_[1], &byte, 1) < 0 && errno == EINTR) {
    }
    thread_.join();
  }
}

void StdinReader::loop() {
  std::string pending;
  char buffer[4096];
  while (true) {
    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {wake_fds_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;
    }
    if (fds[1].revents != 0) {
      return;
    }
    ssize_t n = read(STDIN_FILENO, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      // EOF: the simulator keeps running (it may be started with </dev/null); SIGTERM ends it.
      if (!pending.empty()) {
        on_line_(pending);
      }
      return;
    }
    pending.append(buffer, static_cast<size_t>(n));
    size_t newline;
    while ((newline = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, newline);
      pending.erase(0, newline + 1);
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      }
      on_line_(std::move(line));
    }
    if (pending.size() > kMaxLineBytes) {
      pending.clear(); // a runaway line without newline: drop it rather than grow without bound
    }
  }
}

} // namespace bambusim
