#include "storage.h"

#include "archives/text_values.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace bambusim {
namespace {

constexpr size_t kMaxPathBytes = 1024;
constexpr size_t kMaxDepth = 8;
constexpr size_t kMaxNameBytes = 255;

bool hasControl(const std::string& text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      return true;
    }
  }
  return false;
}

bool startsWith(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// Why opening `shown` failed, in the words a test (and a driver's error message) can rely on.
std::string openFailure(int error, const std::string& shown) {
  switch (error) {
  case ENOENT:
    return "file not found: " + shown;
  case ELOOP:
    return "refused: " + shown + " is or passes through a symbolic link";
  case ENOTDIR:
    return "file not found: " + shown + " (a component is not a directory)";
  case EACCES:
  case EPERM:
    return "permission denied: " + shown;
  default:
    return "cannot open " + shown + ": " + std::strerror(error);
  }
}

std::vector<std::string> splitPath(const std::string& relative) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= relative.size()) {
    size_t slash = relative.find('/', start);
    if (slash == std::string::npos) {
      slash = relative.size();
    }
    if (slash > start) {
      parts.push_back(relative.substr(start, slash - start));
    }
    start = slash + 1;
  }
  return parts;
}

} // namespace

FileHandle::~FileHandle() {
  if (fd_ >= 0) {
    close(fd_);
  }
}

FileHandle& FileHandle::operator=(FileHandle&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      close(fd_);
    }
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

PrinterStorage::PrinterStorage(std::string root) : root_(std::move(root)) {
  std::error_code error;
  std::filesystem::create_directories(root_ + "/cache", error);
  if (error || !std::filesystem::is_directory(root_ + "/cache")) {
    throw std::runtime_error("cannot create the storage directory " + root_ +
                             "/cache: " + (error ? error.message() : std::string("not a directory")));
  }
}

FileHandle PrinterStorage::openFile(const std::string& relative, std::string& reason) const {
  const std::string shown = "/" + relative;
  const std::vector<std::string> parts = splitPath(relative);
  if (parts.empty()) {
    reason = "no file named";
    return {};
  }
  FileHandle dir(open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) {
    reason = "storage unavailable: " + std::string(std::strerror(errno));
    return {};
  }
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    FileHandle next(openat(dir.fd(), parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid()) {
      int error = errno;
      struct stat info {};
      // O_NOFOLLOW|O_DIRECTORY on a symlink may say ENOTDIR; name the symlink for what it is.
      if (error == ENOTDIR && fstatat(dir.fd(), parts[i].c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 &&
          S_ISLNK(info.st_mode)) {
        error = ELOOP;
      }
      reason = openFailure(error, shown);
      return {};
    }
    dir = std::move(next);
  }
  // O_NONBLOCK: a FIFO planted in the storage must not hang the simulator's only thread.
  FileHandle file(openat(dir.fd(), parts.back().c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!file.valid()) {
    reason = openFailure(errno, shown);
    return {};
  }
  struct stat info {};
  if (fstat(file.fd(), &info) != 0 || !S_ISREG(info.st_mode)) {
    reason = "not a file: " + shown;
    return {};
  }
  if (static_cast<uint64_t>(info.st_size) > kMaxStoredFileBytes) {
    reason = "file too large: " + shown;
    return {};
  }
  return file;
}

std::string PrinterStorage::cachePath(const std::string& name) const {
  return root_ + "/cache/" + name;
}

std::string PrinterStorage::cacheTempPath(const std::string& name) const {
  // Hidden, so nobody listing cache/ mistakes it for a finished file.
  return root_ + "/cache/.incoming-" + std::to_string(getpid()) + "-" + name;
}

std::string PrinterStorage::copyIntoCache(const std::string& source, const std::string& name) const {
  if (std::string why = checkFileName(name); !why.empty()) {
    return why;
  }
  FileHandle in(open(source.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  struct stat info {};
  if (!in.valid()) {
    return "cannot read " + source + ": " + std::strerror(errno);
  }
  if (fstat(in.fd(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return source + " is not a regular file";
  }
  if (static_cast<uint64_t>(info.st_size) > kMaxStoredFileBytes) {
    return source + " is larger than 1 GiB";
  }
  const std::string temp = cacheTempPath(name);
  FileHandle out(open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!out.valid()) {
    return "cannot write " + temp + ": " + std::strerror(errno);
  }
  std::vector<char> buffer(1 << 16);
  uint64_t copied = 0;
  std::string failure;
  while (failure.empty()) {
    ssize_t n = read(in.fd(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      failure = "cannot read " + source + ": " + std::strerror(errno);
      break;
    }
    if (n == 0) {
      break;
    }
    copied += static_cast<uint64_t>(n);
    if (copied > kMaxStoredFileBytes) {
      failure = source + " is larger than 1 GiB";
      break;
    }
    for (ssize_t done = 0; done < n && failure.empty();) {
      ssize_t w = write(out.fd(), buffer.data() + done, static_cast<size_t>(n - done));
      if (w < 0 && errno != EINTR) {
        failure = "cannot write " + temp + ": " + std::strerror(errno);
      } else if (w > 0) {
        done += w;
      }
    }
  }
  if (failure.empty() && fsync(out.fd()) != 0) {
    failure = "cannot write " + temp + ": " + std::strerror(errno);
  }
  out = FileHandle();
  if (failure.empty() && rename(temp.c_str(), cachePath(name).c_str()) != 0) {
    failure = "cannot move the copy into " + cachePath(name) + ": " + std::strerror(errno);
  }
  if (!failure.empty()) {
    unlink(temp.c_str());
  }
  return failure;
}

std::string checkFileName(const std::string& name) {
  if (name.empty() || name.size() > kMaxNameBytes) {
    return "a file name needs 1 to 255 bytes";
  }
  if (name.find('/') != std::string::npos || name[0] == '.' || hasControl(name)) {
    return "'" + bambuddy::archives::displayName(name) +
           "' is not a plain file name (no '/', no leading '.', no control characters)";
  }
  if (bambuddy::archives::cleanText(name, kMaxNameBytes) != name) {
    return "'" + bambuddy::archives::displayName(name) +
           "' is not valid UTF-8 or has leading or trailing spaces";
  }
  return {};
}

std::string storagePathFromUrl(const std::string& url, const std::string& file, std::string& reason) {
  static const std::string kSdcard = "file:///mnt/sdcard";
  std::string path;
  if (startsWith(url, "ftp://")) {
    path = url.substr(6);
  } else if (startsWith(url, kSdcard) && (url.size() == kSdcard.size() || url[kSdcard.size()] == '/')) {
    path = url.substr(kSdcard.size());
  } else if (startsWith(url, "/")) {
    path = url;
  } else {
    reason = "unsupported url '" + bambuddy::archives::displayName(url) +
             "' (expected ftp://NAME, file:///mnt/sdcard/NAME or /NAME)";
    return {};
  }
  if (path.find_first_not_of('/') == std::string::npos) {
    path = file; // the url names the card only: the file field names the file
  }
  if (path.size() > kMaxPathBytes || hasControl(path) || path.find('\\') != std::string::npos) {
    reason = "invalid file path in url";
    return {};
  }
  std::vector<std::string> parts = splitPath(path);
  if (parts.empty()) {
    reason = "the request names no file";
    return {};
  }
  if (parts.size() > kMaxDepth) {
    reason = "invalid file path in url (more than 8 levels)";
    return {};
  }
  std::string relative;
  for (const std::string& part : parts) {
    if (part == ".") {
      continue;
    }
    if (part == "..") {
      reason = "refused: the path '" + bambuddy::archives::displayName(path) + "' leaves the storage";
      return {};
    }
    if (part.size() > kMaxNameBytes) {
      reason = "invalid file path in url (a name longer than 255 bytes)";
      return {};
    }
    relative += (relative.empty() ? "" : "/") + part;
  }
  if (relative.empty()) {
    reason = "the request names no file";
  }
  return relative;
}

} // namespace bambusim
