#include "support/child_process.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace bambuddy::testing {
namespace {

// Closes every descriptor above stderr in the child, so pipes of other children (and the test's
// sockets) do not leak into it. Uses only async-signal-safe calls (we are between fork and exec).
void closeInheritedFds() {
  if (close_range(3, ~0U, 0) == 0) {
    return;
  }
  for (int fd = 3; fd < 4096; ++fd) { // kernels before 5.9 lack close_range
    close(fd);
  }
}

} // namespace

int64_t steadyNowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

pid_t spawnChild(const std::vector<std::string>& argv, const ChildFds& fds, const ChildUser* user) {
  if (argv.empty()) {
    throw std::invalid_argument("spawnChild: empty argv");
  }
  // Everything the child needs is prepared before fork: only async-signal-safe calls after it.
  std::vector<char*> args;
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  const pid_t parent = getpid();

  pid_t pid = fork();
  if (pid < 0) {
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    if (user != nullptr && (setgroups(user->groups.size(), user->groups.data()) != 0 ||
                            setgid(user->gid) != 0 || setuid(user->uid) != 0)) {
      _exit(125);
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) { // the parent died before prctl took effect
      _exit(126);
    }
    int null_fd = open("/dev/null", O_RDWR);
    int in = fds.stdin_fd >= 0 ? fds.stdin_fd : null_fd;
    int out = fds.stdout_fd >= 0 ? fds.stdout_fd : null_fd;
    int err = fds.stderr_fd >= 0 ? fds.stderr_fd : null_fd;
    if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) {
      _exit(127);
    }
    closeInheritedFds();
    // The test blocks no signals it wants its children to see, but Paho or gtest threads might.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

bool reapChild(pid_t pid, int64_t timeout_ms, int& status) {
  const int64_t deadline = steadyNowMs() + timeout_ms;
  while (true) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      return true;
    }
    if (r < 0 && errno != EINTR) {
      return false;
    }
    if (steadyNowMs() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

int terminateChild(pid_t pid, int64_t grace_ms) {
  int status = 0;
  kill(pid, SIGTERM);
  if (reapChild(pid, grace_ms, status)) {
    return status;
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return status;
}

std::string describeExitStatus(int status) {
  if (WIFEXITED(status)) {
    return "exit " + std::to_string(WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    return "signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  }
  return "status " + std::to_string(status);
}

} // namespace bambuddy::testing
