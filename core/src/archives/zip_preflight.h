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

} // namespace bambuddy::archives
