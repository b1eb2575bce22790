// storage.local: the blob store kept in one local directory, one file per key.
#pragma once

#include "posix_file.h"
#include "store_config.h"

#include <bambuddy/sdk.hpp>
#include <bambuddy_plugin_schemas.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bambuddy::storage_local {

// Every key is a file below the root directory; its '/'-separated segments are directories.
// Guarantees: put replaces atomically (temp file in the same directory, fsync, rename), so a reader
// sees the old or the new blob, never a partial one; a failed put leaves no temp file behind; no
// operation follows a symbolic link below the root, so nothing outside the root is read or written.
// Thread-safe: every op works on its own descriptors, relative to a root descriptor opened once.
class LocalBlobStore : public sdk::BlobStore {
public:
  static constexpr const char* kName = "storage.local";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "Stores archive blobs as files in a local directory";
  static constexpr const char* kConfigSchema = plugin::kConfigSchemaJson;
  static constexpr const char* kInstanceSchema = plugin::kInstanceSchemaJson;

  // Creates the root directory when missing. Throws sdk::Error: BB_ERR_INVALID_ARGUMENT for bad
  // config or settings, BB_ERR_IO ("root_unavailable") when the root cannot be created or opened.
  LocalBlobStore(sdk::Host host, const std::string& config_json, const std::string& settings_json);
  ~LocalBlobStore() override = default;

  void put(const std::string& key, std::string_view data) override;
  // Copies from the descriptor straight into the blob's temp file (copy_file_range where the
  // kernel can, else a 1 MiB buffer), so a large upload never sits in memory.
  void putFromFd(const std::string& key, int fd, uint64_t size) override;
  std::optional<std::string> get(const std::string& key) override;
  std::optional<OpenBlob> openRead(const std::string& key) override;
  bool remove(const std::string& key) override;
  std::vector<sdk::BlobInfo> list(const std::string& prefix) override;

  // The canonical absolute root directory.
  const std::string& root() const { return root_; }

private:
  // Where a key's file lives: its parent directory (open) and its file name.
  struct Location {
    UniqueFd dir;
    std::string name;
  };

  // Opens the parent directory of `segments` below the root, never following a symlink. With
  // `create`, missing directories are made; without, nullopt means "some directory is missing".
  std::optional<Location> locate(const std::string& key, const std::vector<std::string>& segments,
                                 bool create);
  // Opens `directories` one by one from the root with O_NOFOLLOW, making missing ones when `create`
  // is set; nullopt (only without `create`) when one is missing or is a blob. Throws on a symlink.
  std::optional<UniqueFd> openDirectories(const std::string& key, const std::vector<std::string>& directories,
                                          bool create);
  // put's steps (checks, temp file, write_to(fd) -> 0 or errno, fsync, rename).
  void store(const std::string& key, uint64_t size, const std::function<int(int)>& write_to);
  // The blob's regular file, opened read-only with its size; nullopt when absent.
  std::optional<UniqueFd> openBlob(const std::string& key, uint64_t& size);
  std::string tempName();
  void syncDirectory(int dir_fd, const std::string& key);
  void collect(int dir_fd, const std::string& base, const std::string& prefix,
               std::vector<sdk::BlobInfo>& out);

  sdk::Host host_;
  StoreConfig config_;
  std::string root_;
  UniqueFd root_fd_;
  uint64_t temp_seed_ = 0;
  std::atomic<uint64_t> temp_counter_{0};
};

} // namespace bambuddy::storage_local
