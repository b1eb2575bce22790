#include "posix_file.h"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <system_error>
#include <unistd.h>

namespace bambuddy::storage_local {
namespace {
// Linux transfers at most ~2 GiB per call; smaller chunks also keep one syscall short.
constexpr std::size_t kChunkBytes = 8u * 1024 * 1024;
} // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    reset(other.release());
  }
  return *this;
}

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) {
    // Errors of a close we do not check matter only after writes, which use close() instead.
    ::close(fd_);
  }
  fd_ = fd;
}

int UniqueFd::close() {
  if (fd_ < 0) {
    return 0;
  }
  int rc = ::close(fd_);
  fd_ = -1;
  // After EINTR the descriptor is gone on Linux, so it must not be closed again.
  return rc == 0 || errno == EINTR ? 0 : errno;
}

int copyFromFd(int source_fd, uint64_t size, int fd) {
  uint64_t done = 0;
  bool kernel_copy = true;
  std::string buffer;
  while (done < size) {
    const std::size_t want = static_cast<std::size_t>(std::min<uint64_t>(size - done, 1u << 20));
    if (kernel_copy) {
      loff_t from = static_cast<loff_t>(done);
      ssize_t n = ::copy_file_range(source_fd, &from, fd, nullptr, want, 0);
      if (n > 0) {
        done += static_cast<uint64_t>(n);
        continue;
      }
      if (n == 0) {
        return EIO; // the source is shorter than announced
      }
      if (errno == EINTR) {
        continue;
      }
      if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP) {
        return errno;
      }
      kernel_copy = false; // e.g. across file systems on older kernels: copy through a buffer
    }
    buffer.resize(want);
    ssize_t n = ::pread(source_fd, buffer.data(), want, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return errno;
    }
    if (n == 0) {
      return EIO;
    }
    if (int err = writeAll(fd, std::string_view(buffer.data(), static_cast<std::size_t>(n))); err != 0) {
      return err;
    }
    done += static_cast<uint64_t>(n);
  }
  return 0;
}

int writeAll(int fd, std::string_view data) {
  std::size_t done = 0;
  while (done < data.size()) {
    std::size_t chunk = std::min(kChunkBytes, data.size() - done);
    ssize_t n = ::write(fd, data.data() + done, chunk);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return errno;
    }
    if (n == 0) {
      return EIO; // a regular file never accepts nothing; do not spin
    }
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

int readAll(int fd, std::string& out) {
  std::size_t chunk = 256 * 1024;
  while (true) {
    std::size_t old_size = out.size();
    out.resize(old_size + chunk);
    ssize_t n = ::read(fd, out.data() + old_size, chunk);
    if (n < 0) {
      out.resize(old_size);
      if (errno == EINTR) {
        continue;
      }
      return errno;
    }
    out.resize(old_size + static_cast<std::size_t>(n));
    if (n == 0) {
      return 0;
    }
  }
}

std::string errnoText(int err) {
  return std::generic_category().message(err);
}

} // namespace bambuddy::storage_local
