// Reading a whole byte range of a file descriptor, for plugins and the host alike (header-only,
// no dependencies beyond POSIX).
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace bambuddy::sdk {

// Reads exactly `size` bytes from `fd` starting at `offset` into `out` with pread (the
// descriptor's own offset is left alone). False when the file ends early or a read fails (errno
// tells which; 0 for a short file).
inline bool preadAll(int fd, char* out, size_t size, uint64_t offset = 0) {
  size_t got = 0;
  while (got < size) {
    ssize_t n = ::pread(fd, out + got, size - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      if (n == 0) {
        errno = 0;
      }
      return false;
    }
    got += static_cast<size_t>(n);
  }
  return true;
}

} // namespace bambuddy::sdk
