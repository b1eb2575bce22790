// Thread-safe line logger shared by every core service (passed by reference, never global).
#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace bambuddy {

enum class LogLevel { Debug = 1, Info = 2, Warn = 3, Error = 4 };

// Parses "debug|info|warn|error"; returns false on anything else.
bool parseLogLevel(std::string_view text, LogLevel& out);
std::string_view logLevelName(LogLevel level);

class Logger {
public:
  // Writes to `sink` (stderr by default); the sink is not owned.
  explicit Logger(LogLevel min_level = LogLevel::Info, std::FILE* sink = stderr);

  void setLevel(LogLevel level);
  bool enabled(LogLevel level) const;

  // One line: "<UTC time> <LEVEL> [component] message". Messages must never carry secrets.
  void log(LogLevel level, std::string_view component, std::string_view message);
  void debug(std::string_view component, std::string_view message) {
    log(LogLevel::Debug, component, message);
  }
  void info(std::string_view component, std::string_view message) { log(LogLevel::Info, component, message); }
  void warn(std::string_view component, std::string_view message) { log(LogLevel::Warn, component, message); }
  void error(std::string_view component, std::string_view message) {
    log(LogLevel::Error, component, message);
  }

private:
  mutable std::mutex mutex_;
  LogLevel min_level_;
  std::FILE* sink_;
};

} // namespace bambuddy
