#include "local_blob_store.h"

#include "blob_key.h"

#include <bambuddy/abi.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <memory>
#include <random>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <utility>

namespace bambuddy::storage_local {
namespace {

// Temp files carry '~', which no key segment may contain: they never collide with a blob and
// list() skips them like any other name that is not a valid segment.
constexpr const char* kTempPrefix = ".~tmp-";
constexpr int kTempAttempts = 16;
// Bounds retries when another thread or process keeps changing a directory under us.
constexpr int kRaceAttempts = 8;

[[noreturn]] void ioError(const std::string& what, int err) {
  throw sdk::Error(BB_ERR_IO, "io_error", what + ": " + errnoText(err));
}

[[noreturn]] void symlinkRefused(std::string_view key, const std::string& link) {
  throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "symlink_refused",
                   "refused " + quoteKey(key) + ": \"" + link +
                       "\" is a symbolic link, and storage.local never follows links below its root");
}

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

std::string joinFirst(const std::vector<std::string>& segments, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count && i < segments.size(); ++i) {
    if (i > 0) {
      out += '/';
    }
    out += segments[i];
  }
  return out;
}

// Removes the temp file of a put unless the rename consumed it.
class TempFileGuard {
public:
  TempFileGuard(int dir_fd, std::string name) : dir_fd_(dir_fd), name_(std::move(name)) {}
  ~TempFileGuard() {
    if (armed_) {
      ::unlinkat(dir_fd_, name_.c_str(), 0);
    }
  }
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  void disarm() { armed_ = false; }

private:
  int dir_fd_;
  std::string name_;
  bool armed_ = true;
};

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

uint64_t makeSeed(const void* self) {
  try {
    std::random_device device;
    return (static_cast<uint64_t>(device()) << 32) ^ device();
  } catch (const std::exception&) {
    // No entropy source: names only need to differ between concurrent writers, O_EXCL does the rest.
    auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    return static_cast<uint64_t>(now) ^ reinterpret_cast<uintptr_t>(self) ^ static_cast<uint64_t>(::getpid());
  }
}

} // namespace

LocalBlobStore::LocalBlobStore(sdk::Host host, const std::string& config_json,
                               const std::string& settings_json)
    : host_(std::move(host)), config_(parseConfig(config_json, settings_json, host_.dataDir())) {
  namespace fs = std::filesystem;
  std::error_code ec;
  // Blobs are the users' files: a new root is private whatever the umask (existing ones are left).
  if (fs::create_directories(config_.root, ec) && !ec) {
    fs::permissions(config_.root, fs::perms::owner_all, fs::perm_options::replace, ec);
  }
  if (ec) {
    throw sdk::Error(BB_ERR_IO, "root_unavailable",
                     "storage.local cannot create its root \"" + config_.root + "\": " + ec.message());
  }
  fs::path canonical = fs::canonical(config_.root, ec);
  if (ec) {
    throw sdk::Error(BB_ERR_IO, "root_unavailable",
                     "storage.local cannot resolve its root \"" + config_.root + "\": " + ec.message());
  }
  root_ = canonical.string();
  root_fd_ = UniqueFd(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd_.valid()) {
    int err = errno;
    throw sdk::Error(BB_ERR_IO, "root_unavailable",
                     "storage.local cannot open its root \"" + root_ + "\": " + errnoText(err));
  }
  if (::access(root_.c_str(), W_OK | X_OK) != 0) {
    int err = errno;
    throw sdk::Error(BB_ERR_IO, "root_unavailable",
                     "storage.local cannot write to its root \"" + root_ + "\": " + errnoText(err));
  }
  temp_seed_ = makeSeed(this);
  host_.info("storage.local: blob root " + root_ + " (fsync " + (config_.fsync ? "on" : "off") +
             ", max_blob_bytes " + std::to_string(config_.max_blob_bytes) + ")");
}

std::optional<UniqueFd> LocalBlobStore::openDirectories(const std::string& key,
                                                        const std::vector<std::string>& directories,
                                                        bool create) {
  // A fresh open, not dup(): a duplicate would share the directory read offset with root_fd_, so
  // concurrent or successive list() calls would skip entries.
  UniqueFd current(::openat(root_fd_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!current.valid()) {
    int error_code = errno;
    ioError("cannot open the blob root for " + quoteKey(key), error_code);
  }
  for (std::size_t i = 0; i < directories.size(); ++i) {
    const std::string& name = directories[i];
    int races = 0;
    while (true) {
      int fd = ::openat(current.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd >= 0) {
        current = UniqueFd(fd);
        break;
      }
      int err = errno;
      if (err == EINTR) {
        continue;
      }
      if (++races > kRaceAttempts) {
        ioError("cannot open directory \"" + joinFirst(directories, i + 1) + "\" for " + quoteKey(key), err);
      }
      if (err == ENOENT) {
        if (!create) {
          return std::nullopt;
        }
        if (::mkdirat(current.get(), name.c_str(), 0700) == 0) {
          if (config_.fsync) {
            syncDirectory(current.get(), key);
          }
          continue;
        }
        if (errno == EEXIST) {
          continue; // another writer made it (or something else is there): look again
        }
        int error_code = errno;
        ioError("cannot create directory \"" + joinFirst(directories, i + 1) + "\" for " + quoteKey(key),
                error_code);
      }
      if (err != ENOTDIR && err != ELOOP) {
        ioError("cannot open directory \"" + joinFirst(directories, i + 1) + "\" for " + quoteKey(key), err);
      }
      // The name exists but is not a directory we may enter: find out what it is.
      struct stat st {};
      if (::fstatat(current.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        continue; // vanished meanwhile
      }
      if (S_ISLNK(st.st_mode)) {
        symlinkRefused(key, joinFirst(directories, i + 1));
      }
      if (S_ISDIR(st.st_mode)) {
        continue; // replaced by a directory meanwhile
      }
      if (!create) {
        return std::nullopt;
      }
      throw sdk::Error(BB_ERR_CONFLICT, "key_conflict",
                       "cannot store " + quoteKey(key) + ": \"" + joinFirst(directories, i + 1) +
                           "\" is a blob, not a directory");
    }
  }
  return current;
}

std::optional<LocalBlobStore::Location>
LocalBlobStore::locate(const std::string& key, const std::vector<std::string>& segments, bool create) {
  std::vector<std::string> directories(segments.begin(), segments.end() - 1);
  std::optional<UniqueFd> dir = openDirectories(key, directories, create);
  if (!dir) {
    return std::nullopt;
  }
  return Location{std::move(*dir), segments.back()};
}

std::string LocalBlobStore::tempName() {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%016llx-%llx", kTempPrefix, static_cast<unsigned long long>(temp_seed_),
                static_cast<unsigned long long>(temp_counter_.fetch_add(1)));
  return buf;
}

void LocalBlobStore::syncDirectory(int dir_fd, const std::string& key) {
  // Some file systems cannot sync a directory (EINVAL); the data itself is synced already.
  if (::fsync(dir_fd) != 0 && errno != EINVAL) {
    int error_code = errno;
    ioError("cannot sync the directory of " + quoteKey(key), error_code);
  }
}

void LocalBlobStore::put(const std::string& key, std::string_view data) {
  store(key, data.size(), [&](int fd) { return writeAll(fd, data); });
}

void LocalBlobStore::putFromFd(const std::string& key, int source_fd, uint64_t size) {
  store(key, size, [&](int fd) { return copyFromFd(source_fd, size, fd); });
}

void LocalBlobStore::store(const std::string& key, uint64_t size, const std::function<int(int)>& write_to) {
  std::vector<std::string> segments = splitKey(key);
  if (size > config_.max_blob_bytes) {
    throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "too_large",
                     "blob " + quoteKey(key) + " is " + std::to_string(size) +
                         " bytes; the limit (max_blob_bytes) is " + std::to_string(config_.max_blob_bytes));
  }
  Location loc = std::move(*locate(key, segments, true));
  int dir = loc.dir.get();

  // Checked up front so that a big blob is not written for nothing; rename re-checks the directory
  // case, and rename never follows a link even if one appears meanwhile.
  struct stat st {};
  if (::fstatat(dir, loc.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISLNK(st.st_mode)) {
      symlinkRefused(key, key);
    }
    if (S_ISDIR(st.st_mode)) {
      throw sdk::Error(BB_ERR_CONFLICT, "key_conflict",
                       "cannot store " + quoteKey(key) + ": it is a directory of other blobs");
    }
  } else if (errno != ENOENT) {
    int error_code = errno;
    ioError("put " + quoteKey(key) + ": cannot inspect the target", error_code);
  }

  std::string temp;
  UniqueFd file;
  for (int attempt = 0; !file.valid(); ++attempt) {
    temp = tempName();
    int fd = ::openat(dir, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
      file = UniqueFd(fd);
    } else if ((errno != EEXIST && errno != EINTR) || attempt + 1 >= kTempAttempts) {
      int error_code = errno;
      ioError("put " + quoteKey(key) + ": cannot create a temp file", error_code);
    }
  }
  TempFileGuard guard(dir, temp);

  if (int err = write_to(file.get()); err != 0) {
    ioError("put " + quoteKey(key) + ": writing failed", err);
  }
  if (config_.fsync && ::fsync(file.get()) != 0) {
    int error_code = errno;
    ioError("put " + quoteKey(key) + ": fsync failed", error_code);
  }
  if (int err = file.close(); err != 0) {
    ioError("put " + quoteKey(key) + ": closing the temp file failed", err);
  }
  if (::renameat(dir, temp.c_str(), dir, loc.name.c_str()) != 0) {
    int err = errno;
    if (err == EISDIR || err == ENOTEMPTY || err == EEXIST) {
      throw sdk::Error(BB_ERR_CONFLICT, "key_conflict",
                       "cannot store " + quoteKey(key) + ": it is a directory of other blobs");
    }
    ioError("put " + quoteKey(key) + ": rename failed", err);
  }
  guard.disarm();
  if (config_.fsync) {
    syncDirectory(dir, key);
  }
}

std::optional<UniqueFd> LocalBlobStore::openBlob(const std::string& key, uint64_t& size) {
  std::vector<std::string> segments = splitKey(key);
  std::optional<Location> loc = locate(key, segments, false);
  if (!loc) {
    return std::nullopt;
  }
  UniqueFd file;
  while (!file.valid()) {
    // O_NONBLOCK: a FIFO planted in the tree must not hang us (it is refused below anyway).
    int fd = ::openat(loc->dir.get(), loc->name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) {
      file = UniqueFd(fd);
      continue;
    }
    int err = errno;
    if (err == EINTR) {
      continue;
    }
    if (err == ENOENT || err == ENOTDIR) {
      return std::nullopt;
    }
    if (err == ELOOP) {
      symlinkRefused(key, key);
    }
    ioError("get " + quoteKey(key) + ": open failed", err);
  }
  struct stat st {};
  if (::fstat(file.get(), &st) != 0) {
    int error_code = errno;
    ioError("get " + quoteKey(key) + ": stat failed", error_code);
  }
  if (!S_ISREG(st.st_mode)) {
    return std::nullopt; // a directory of other blobs, or something that is not a blob
  }
  size = static_cast<uint64_t>(st.st_size);
  return file;
}

std::optional<std::string> LocalBlobStore::get(const std::string& key) {
  uint64_t size = 0;
  std::optional<UniqueFd> file = openBlob(key, size);
  if (!file) {
    return std::nullopt;
  }
  std::string content;
  content.reserve(static_cast<std::size_t>(size));
  if (int err = readAll(file->get(), content); err != 0) {
    ioError("get " + quoteKey(key) + ": read failed", err);
  }
  return content;
}

std::optional<sdk::BlobStore::OpenBlob> LocalBlobStore::openRead(const std::string& key) {
  uint64_t size = 0;
  std::optional<UniqueFd> file = openBlob(key, size);
  if (!file) {
    return std::nullopt;
  }
  // Blobs are replaced by rename, so this descriptor keeps reading the blob as it was.
  OpenBlob blob;
  blob.fd = file->release();
  blob.size_bytes = size;
  return blob;
}

bool LocalBlobStore::remove(const std::string& key) {
  std::vector<std::string> segments = splitKey(key);
  std::optional<Location> loc = locate(key, segments, false);
  if (!loc) {
    return false;
  }
  struct stat st {};
  if (::fstatat(loc->dir.get(), loc->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) {
      return false;
    }
    int error_code = errno;
    ioError("remove " + quoteKey(key) + ": stat failed", error_code);
  }
  if (S_ISLNK(st.st_mode)) {
    symlinkRefused(key, key);
  }
  if (!S_ISREG(st.st_mode)) {
    return false;
  }
  if (::unlinkat(loc->dir.get(), loc->name.c_str(), 0) != 0) {
    if (errno == ENOENT) {
      return false; // a concurrent remove won
    }
    int error_code = errno;
    ioError("remove " + quoteKey(key) + ": unlink failed", error_code);
  }
  if (config_.fsync) {
    syncDirectory(loc->dir.get(), key);
  }
  return true;
}

std::vector<sdk::BlobInfo> LocalBlobStore::list(const std::string& prefix) {
  std::vector<std::string> directories = prefixDirectories(prefix);
  std::optional<UniqueFd> dir = openDirectories(prefix, directories, false);
  std::vector<sdk::BlobInfo> out;
  if (!dir) {
    return out;
  }
  std::string base = joinFirst(directories, directories.size());
  if (!base.empty()) {
    base += '/';
  }
  collect(dir->release(), base, prefix, out);
  std::sort(out.begin(), out.end(),
            [](const sdk::BlobInfo& a, const sdk::BlobInfo& b) { return a.key < b.key; });
  return out;
}

void LocalBlobStore::collect(int dir_fd, const std::string& base, const std::string& prefix,
                             std::vector<sdk::BlobInfo>& out) {
  std::unique_ptr<DIR, DirCloser> dir(::fdopendir(dir_fd));
  if (!dir) {
    int err = errno;
    ::close(dir_fd);
    ioError("list " + quoteKey(prefix) + ": cannot read directory \"" + base + "\"", err);
  }
  int fd = ::dirfd(dir.get());
  while (true) {
    errno = 0;
    const dirent* entry = ::readdir(dir.get());
    if (entry == nullptr) {
      if (errno != 0) {
        int error_code = errno;
        ioError("list " + quoteKey(prefix) + ": cannot read directory \"" + base + "\"", error_code);
      }
      return;
    }
    std::string name = entry->d_name;
    // Skips ".", "..", temp files and anything else no key could name.
    if (!isValidSegment(name)) {
      continue;
    }
    std::string key = base + name;
    if (key.size() > kMaxKeyBytes) {
      continue;
    }
    struct stat st {};
    if (::fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) {
        continue; // removed meanwhile
      }
      int error_code = errno;
      ioError("list " + quoteKey(prefix) + ": cannot stat \"" + key + "\"", error_code);
    }
    if (S_ISREG(st.st_mode)) {
      if (startsWith(key, prefix)) {
        out.push_back({key, static_cast<uint64_t>(st.st_size)});
      }
      continue;
    }
    if (!S_ISDIR(st.st_mode)) {
      continue; // symlinks are never followed; other file types are not blobs
    }
    std::string child = key + '/';
    if (child.size() >= kMaxKeyBytes || !(startsWith(child, prefix) || startsWith(prefix, child))) {
      continue;
    }
    int child_fd = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (child_fd < 0) {
      if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) {
        continue; // changed meanwhile
      }
      int error_code = errno;
      ioError("list " + quoteKey(prefix) + ": cannot open directory \"" + key + "\"", error_code);
    }
    collect(child_fd, child, prefix, out);
  }
}

} // namespace bambuddy::storage_local
