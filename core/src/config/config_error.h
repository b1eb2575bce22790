// Config problems carry where they are (file, line, path) so an operator can jump straight to them.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace bambuddy::config {

struct ConfigError {
  std::string file;    // as the operator named it; empty for problems outside any file (environment)
  int line = 0;        // 1-based; 0 when no line applies (unreadable file, environment)
  std::string path;    // display path, e.g. "plugins.load[2].config.topic"; empty for the whole document
  std::string message; // short and precise, e.g. "required", "unknown key"

  // "config/bambuddy.yaml:12 plugins.load[2].config.topic: required". Without a path:
  // "file:12: message"; without a line the ":12" is left out; without a file only
  // "path: message" (or the bare message) remains.
  std::string format() const;
};

// Thrown by the loader with every problem found, not just the first, so one run of
// --check-config shows the operator the whole list.
class ConfigException : public std::runtime_error {
public:
  explicit ConfigException(std::vector<ConfigError> errors);
  explicit ConfigException(ConfigError error);

  const std::vector<ConfigError>& errors() const { return errors_; }

private:
  std::vector<ConfigError> errors_;
};

} // namespace bambuddy::config
