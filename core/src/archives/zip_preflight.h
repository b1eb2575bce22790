// A look at the end of a zip file before libzip opens it. libzip sizes its entry table from the
// end-of-central-directory record, so a forged count of millions of entries would cost memory
// before any of our checks ran; reading the count first lets the entry limit act up front.
#pragma once

#include <cstdint>
#include <string_view>

namespace bambuddy::archives {

// The largest entry count declared by any plausible end-of-central-directory record in the last
// 64 KiB + 22 bytes (the ZIP64 record's count when a locator points to one). Taking the largest
// means a harmless-looking fake record hidden in the archive comment cannot mask the real one.
// Plausible: a single disk, the same count for it and in total. Throws
// ThreeMfError(NotZip) for empty input or when there is no such record (not a zip, or the
// upload was cut short).
uint64_t declaredEntryCount(std::string_view bytes);

// The same for a file too large to hold: `tail` is its last bytes (at least 64 KiB + 22 + 76, or
// the whole file when smaller), starting at byte `tail_offset` of the file. A ZIP64 record
// outside the tail is ignored (libzip's own count is checked against the limit again after it
// opened the file).
uint64_t declaredEntryCount(std::string_view tail, uint64_t tail_offset);

// How many bytes from the end of a file declaredEntryCount(tail, offset) wants to see.
inline constexpr uint64_t kZipTailBytes = 65535 + 22 + 20 + 56 + 1024;

} // namespace bambuddy::archives
