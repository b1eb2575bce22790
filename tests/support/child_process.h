// Low-level child process control shared by the broker and simulator harnesses: fork+exec with
// chosen stdin/stdout/stderr descriptors, a parent-death signal so a crashed test never leaves the
// child running, and reaping with a deadline.
#pragma once

#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

namespace bambuddy::testing {

struct ChildFds {
  int stdin_fd = -1; // -1 means /dev/null
  int stdout_fd = -1;
  int stderr_fd = -1;
};

// Another account for the child (we are root): switched to before exec and before the
// parent-death signal is armed (a credential change clears it), so the child still dies with
// the test.
struct ChildUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

// Starts argv[0] (an absolute path or a name looked up in PATH) with the given descriptors.
// Every other descriptor of the parent is closed in the child. The child gets SIGKILL when the
// thread that started it exits (PR_SET_PDEATHSIG), so start children from the test's main thread.
// Throws std::runtime_error when fork fails; an exec failure shows up as exit code 127.
// `user`: run as that account (null: as we are).
pid_t spawnChild(const std::vector<std::string>& argv, const ChildFds& fds, const ChildUser* user = nullptr);

// Waits up to timeout_ms for the child to exit. Returns true and fills `status` when it did.
bool reapChild(pid_t pid, int64_t timeout_ms, int& status);

// SIGTERM, wait up to grace_ms, then SIGKILL and wait. Returns the waitpid status.
int terminateChild(pid_t pid, int64_t grace_ms);

// "exit 3", "signal 9 (Killed)" for error messages.
std::string describeExitStatus(int status);

int64_t steadyNowMs();

} // namespace bambuddy::testing
