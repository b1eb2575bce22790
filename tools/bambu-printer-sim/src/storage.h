// A simulated printer's storage (its SD card): a directory the test support serves over FTPS.
// Paths come from MQTT requests and stdin, so every lookup stays inside the directory: ".." is
// refused by name, and each component is opened with O_NOFOLLOW relative to its parent, so a
// symlink (even one that points inside) is refused rather than followed.
#pragma once

#include <cstdint>
#include <string>

namespace bambusim {

// An open file descriptor, closed on destruction.
class FileHandle {
public:
  FileHandle() = default;
  explicit FileHandle(int fd) : fd_(fd) {}
  ~FileHandle();
  FileHandle(FileHandle&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileHandle& operator=(FileHandle&& other) noexcept;
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;

  int fd() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

private:
  int fd_ = -1;
};

// Largest file the simulator reads from or copies into a storage.
constexpr uint64_t kMaxStoredFileBytes = 1ull << 30;

class PrinterStorage {
public:
  // Creates `root` and `root`/cache when missing; throws std::runtime_error naming the directory.
  explicit PrinterStorage(std::string root);

  const std::string& root() const { return root_; }

  // Opens the regular file at `relative` ("cache/a.3mf", components separated by '/') for
  // reading. On failure returns an invalid handle and sets `reason` ("file not found: /x.3mf").
  FileHandle openFile(const std::string& relative, std::string& reason) const;

  // Copies the file at `source` (any path of the simulator's host) to cache/<name> through a
  // temporary name, so a reader never sees half a file. Empty on success, else why not.
  std::string copyIntoCache(const std::string& source, const std::string& name) const;

  // The absolute path of cache/<name> (for writers that create the file themselves), and the
  // temporary path next to it that they write first and then rename() into place.
  std::string cachePath(const std::string& name) const;
  std::string cacheTempPath(const std::string& name) const;

private:
  std::string root_;
};

// The storage-relative path a project_file request names: url "ftp://NAME", "ftp:///NAME",
// "file:///mnt/sdcard/NAME" or a bare "/NAME" ("/cache/NAME" too); `file` when the url names no
// file (the OpenBambuAPI template sends url "file:///mnt/sdcard" and the name in `file`).
// Components are checked: no "..", ".", control characters, at most 8 levels and 1024 bytes.
// Empty on failure, with `reason` set.
std::string storagePathFromUrl(const std::string& url, const std::string& file, std::string& reason);

// Checks a bare file name ("Benchy.3mf") for cache/: no '/', not "." or "..", no leading '.', no
// control characters, valid UTF-8, at most 255 bytes. Empty when fine, else why not.
std::string checkFileName(const std::string& name);

} // namespace bambusim
