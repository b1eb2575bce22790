// The data directory holds the database (API key digests, provider secrets) and the blobs: only
// the server's user may read it. The server runs with umask 077, so everything it creates is
// 0700/0600; a directory that already exists is left as the operator made it, with a warning
// when others can reach it.
#pragma once

#include <string>

namespace bambuddy {
class Logger;
}

namespace bambuddy::app {

// Sets the process umask to 077 (before any file, directory or thread is created).
void restrictFileCreationMask();

// Creates `path` (and missing parents, 0700 under the umask), or warns naming it when it exists
// with any group or other permission bit. Throws std::filesystem::filesystem_error when it cannot
// be created.
void prepareDataDir(const std::string& path, Logger& logger);

// The group/other permission bits of `path` (0 when it is private or cannot be examined).
unsigned openPermissionBits(const std::string& path);

} // namespace bambuddy::app
