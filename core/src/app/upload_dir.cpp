#include "app/upload_dir.h"

#include "common/logger.h"

#include <sys/stat.h>

#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace bambuddy::app {

std::string prepareUploadDir(const std::string& data_dir, Logger& logger) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(data_dir) / "tmp";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    throw std::runtime_error("cannot create " + dir.string() + ": " + ec.message());
  }
  // Upload bodies may be anyone's files: only the server reads them.
  if (::chmod(dir.c_str(), 0700) != 0) {
    throw std::runtime_error("cannot set the mode of " + dir.string());
  }
  size_t removed = 0;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("upload-", 0) == 0 && name.size() > 5 && name.compare(name.size() - 5, 5, ".part") == 0) {
      std::error_code remove_ec;
      if (fs::remove(entry.path(), remove_ec)) {
        ++removed;
      }
    }
  }
  if (removed > 0) {
    logger.info("app",
                "removed " + std::to_string(removed) + " unfinished upload file(s) from " + dir.string());
  }
  return dir.string();
}

} // namespace bambuddy::app
