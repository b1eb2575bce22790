// A look at the end of a zip file before libzip opens it. libzip sizes its entry table from the
// end-of-central-directory record, so a forged count of millions of entries would cost memory
// before any of our checks ran; reading the count first lets the entry limit act up front.
#pragma once

#include <cstdint>
#include <string_view>

namespace bambuddy::archives {

// The entry count the archive's end-of-central-directory record declares (the ZIP64 record's
// when there is one). Throws ThreeMfError(NotZip) for empty input or when no such record is in
// the last 64 KiB + 22 bytes (not a zip, or the upload was cut short).
uint64_t declaredEntryCount(std::string_view bytes);

} // namespace bambuddy::archives
