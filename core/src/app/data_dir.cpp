#include "app/data_dir.h"

#include "common/logger.h"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

namespace bambuddy::app {

void restrictFileCreationMask() {
  ::umask(077);
}

unsigned openPermissionBits(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return 0;
  }
  return static_cast<unsigned>(st.st_mode) & 077u;
}

void prepareDataDir(const std::string& path, Logger& logger) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    if (const unsigned open = openPermissionBits(path); open != 0) {
      struct stat st {};
      ::stat(path.c_str(), &st);
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode) & 07777u);
      logger.warn("app", "data directory " + path + " is accessible by other users (mode " + mode +
                             "); it holds API key digests and notification secrets: chmod 700 " + path);
    }
    return;
  }
  std::filesystem::create_directories(path);
}

} // namespace bambuddy::app
