#include "config/core_config.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace bambuddy::config {

namespace {
std::optional<std::string> variable(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    return std::nullopt;
  }
  return std::string(value);
}
} // namespace

Environment Environment::fromProcess() {
  Environment env;
  env.data_dir = variable("BAMBUDDY_DATA_DIR");
  env.listen = variable("BAMBUDDY_LISTEN");
  env.database_url = variable("BAMBUDDY_DATABASE_URL");
  env.variables = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    return value == nullptr ? std::nullopt : std::optional<std::string>(value);
  };
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec && exe.has_parent_path()) {
    env.exe_dir = exe.parent_path().string();
  } else {
    env.exe_dir = std::filesystem::current_path(ec).string();
  }
  return env;
}

} // namespace bambuddy::config
