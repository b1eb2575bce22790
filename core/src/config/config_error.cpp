#include "config/config_error.h"

namespace bambuddy::config {

std::string ConfigError::format() const {
  std::string location = file;
  if (line > 0) {
    location += ':' + std::to_string(line);
  }
  std::string out = location;
  if (!path.empty()) {
    if (!out.empty()) {
      out += ' ';
    }
    out += path;
  }
  if (!out.empty()) {
    out += ": ";
  }
  out += message;
  return out;
}

namespace {
std::string joinFormatted(const std::vector<ConfigError>& errors) {
  std::string text;
  for (const ConfigError& error : errors) {
    if (!text.empty()) {
      text += '\n';
    }
    text += error.format();
  }
  return text.empty() ? std::string("invalid configuration") : text;
}
} // namespace

ConfigException::ConfigException(std::vector<ConfigError> errors)
    : std::runtime_error(joinFormatted(errors)), errors_(std::move(errors)) {}

ConfigException::ConfigException(ConfigError error)
    : ConfigException(std::vector<ConfigError>{std::move(error)}) {}

} // namespace bambuddy::config
