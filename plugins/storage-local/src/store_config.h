// storage.local's configuration, parsed from the plugin's config block and instance settings.
#pragma once

#include <cstdint>
#include <string>

namespace bambuddy::storage_local {

inline constexpr uint64_t kDefaultMaxBlobBytes = 1024ull * 1024 * 1024;

struct StoreConfig {
  std::string root; // absolute or relative to data_dir as configured; resolved by resolveRoot()
  bool fsync = true;
  uint64_t max_blob_bytes = kDefaultMaxBlobBytes;
};

// Parses and checks both JSON texts against the rules of schema/*.schema.json (the host validates
// too, but a plugin must not trust that). `data_dir` is the instance's data directory, used for the
// default and for relative roots; the returned root is absolute (not yet canonical). Throws
// sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_config" | "invalid_settings") naming the field.
StoreConfig parseConfig(const std::string& config_json, const std::string& settings_json,
                        const std::string& data_dir);

} // namespace bambuddy::storage_local
