// Rules for entry names inside an uploaded archive. The archive may be extracted later (to serve a
// plate's G-code or thumbnail), so every name must stay a plain relative path below the
// extraction directory on any OS.
#pragma once

#include <string>
#include <string_view>

namespace bambuddy::archives {

// Throws ThreeMfError(UnsafePath) naming the entry and the reason when `name` is empty, absolute
// ("/x"), has a ".." segment ("../x", "a/../../b"), a "." or empty segment ("a/./b", "a//b"), a
// backslash ("a\\b", read as a separator on Windows), a colon (drive letter "C:x" or an NTFS
// stream) or a control character. A trailing "/" (directory entry) is allowed.
void checkEntryName(std::string_view name);

// The key two names collide on: ASCII lower case, since OPC part names ignore case and
// extracting "A.png" and "a.png" on a case-insensitive file system gives one file.
std::string entryNameKey(std::string_view name);

} // namespace bambuddy::archives
