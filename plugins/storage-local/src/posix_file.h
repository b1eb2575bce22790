// Small POSIX helpers for storage.local: an owning file descriptor and loops that survive EINTR
// and short reads or writes. Linux only (the plugin relies on *at() calls and O_NOFOLLOW).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bambuddy::storage_local {

class UniqueFd {
public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);
  // Closes now and reports close()'s errno (0 when fine): a late write error can surface here.
  int close();

private:
  int fd_ = -1;
};

// Writes every byte; returns 0 or the errno of the failing write.
int writeAll(int fd, std::string_view data);
// Copies the first `size` bytes of `source_fd` (from offset 0) to `fd`; returns 0 or an errno
// (EIO when the source is shorter).
int copyFromFd(int source_fd, uint64_t size, int fd);
// Reads to end of file, appending to `out`; returns 0 or an errno.
int readAll(int fd, std::string& out);

// strerror text for an errno value (thread-safe).
std::string errnoText(int err);

} // namespace bambuddy::storage_local
