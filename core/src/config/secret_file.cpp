#include "config/secret_file.h"

#include <bambuddy/utf8.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bambuddy::config {

namespace {

// Closes the descriptor on every return path.
class Fd {
public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

private:
  int fd_;
};

std::string failure(const std::string& shown, const std::string& reason) {
  return "cannot read secret file " + shown + ": " + reason;
}

} // namespace

SecretFileContent readSecretFile(const std::string& path, const std::string& base_dir) {
  SecretFileContent out;
  if (path.empty()) {
    out.error = "the secret file path is empty";
    return out;
  }
  std::filesystem::path full(path);
  if (full.is_relative() && !base_dir.empty()) {
    full = std::filesystem::path(base_dir) / full;
  }
  const std::string shown = full.lexically_normal().string();
  // O_NONBLOCK: opening a FIFO must not hang the start; it is refused below as not a regular file.
  Fd fd(::open(shown.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) {
    out.error = failure(shown, std::strerror(errno));
    return out;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    out.error = failure(shown, std::strerror(errno));
    return out;
  }
  if (S_ISDIR(st.st_mode)) {
    out.error = failure(shown, "it is a directory");
    return out;
  }
  if (!S_ISREG(st.st_mode)) {
    out.error = failure(shown, "not a regular file");
    return out;
  }
  // Read one byte past the limit rather than trusting st_size (the file may grow meanwhile).
  std::string content;
  char buffer[8192];
  while (content.size() <= kMaxSecretFileBytes) {
    ssize_t got = ::read(fd.get(), buffer, sizeof(buffer));
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      out.error = failure(shown, std::strerror(errno));
      return out;
    }
    if (got == 0) {
      break;
    }
    content.append(buffer, static_cast<std::size_t>(got));
  }
  if (content.size() > kMaxSecretFileBytes) {
    out.error = failure(shown, "larger than " + std::to_string(kMaxSecretFileBytes / 1024) + " KiB");
    return out;
  }
  while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) {
    content.pop_back();
  }
  if (content.find('\0') != std::string::npos) {
    out.error = failure(shown, "it holds a NUL byte");
    return out;
  }
  if (!sdk::isValidUtf8(content)) {
    out.error = failure(shown, "it is not UTF-8 text");
    return out;
  }
  out.value = std::move(content);
  return out;
}

} // namespace bambuddy::config
