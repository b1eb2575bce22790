// Blob key rules of storage.local (abi.h: '/'-joined segments of [A-Za-z0-9._-]).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace bambuddy::storage_local {

inline constexpr std::size_t kMaxKeyBytes = 1024;
// One segment becomes one file or directory name, so it must fit the file system's NAME_MAX.
inline constexpr std::size_t kMaxSegmentBytes = 255;

// True for a non-empty name of allowed bytes that is neither "." nor "..", at most 255 bytes.
bool isValidSegment(std::string_view segment);

// Checks `key` and returns its segments. Throws sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_key")
// whose message names the key and the first rule it breaks.
std::vector<std::string> splitKey(std::string_view key);

// Checks a list prefix: it may end in a partial segment (or in '/'), but whatever comes before the
// last '/' must be valid segments. Returns those complete segments. Throws sdk::Error
// (BB_ERR_INVALID_ARGUMENT, "invalid_prefix") for a prefix no valid key could start with.
std::vector<std::string> prefixDirectories(std::string_view prefix);

// The key in double quotes, non-printable bytes as \xNN, cut after 120 bytes: safe in messages.
std::string quoteKey(std::string_view key);

} // namespace bambuddy::storage_local
