#include "secret_file.h"

#include <bambuddy/sdk.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace bambuddy::auth_apikey {
namespace {

[[noreturn]] void fail(const std::string& path, const char* what, int error) {
  throw sdk::Error(BB_ERR_IO, "admin_key_file",
                   "cannot " + std::string(what) + " the admin key file '" + path +
                       "': " + std::strerror(error));
}

// Writes everything, sets the mode exactly (umask only narrows it) and syncs. Returns errno or 0.
int writeAndSync(int fd, std::string_view content) {
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return errno;
    }
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd, 0600) != 0 || ::fsync(fd) != 0) {
    return errno;
  }
  return 0;
}

void syncParent(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd); // best effort: the file itself is already durable
    ::close(fd);
  }
}

} // namespace

void writeSecretFile(const std::string& path, std::string_view content) {
  int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0) {
    int error = writeAndSync(fd, content);
    ::close(fd);
    if (error != 0) {
      ::unlink(path.c_str());
      fail(path, "write", error);
    }
    syncParent(path);
    return;
  }
  if (errno != EEXIST) {
    fail(path, "create", errno);
  }
  // A stale file (from an earlier database): replace it without ever opening it.
  std::vector<char> temp(path.begin(), path.end());
  const char suffix[] = ".tmp-XXXXXX";
  temp.insert(temp.end(), suffix, suffix + sizeof suffix); // includes the NUL
  fd = ::mkostemp(temp.data(), O_CLOEXEC);                 // mkostemp creates the file with mode 0600
  if (fd < 0) {
    fail(path, "create a temporary file next to", errno);
  }
  int error = writeAndSync(fd, content);
  ::close(fd);
  if (error == 0 && ::rename(temp.data(), path.c_str()) != 0) {
    error = errno;
  }
  if (error != 0) {
    ::unlink(temp.data());
    fail(path, "replace", error);
  }
  syncParent(path);
}

} // namespace bambuddy::auth_apikey
