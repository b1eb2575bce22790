#include "common/logger.h"

#include "common/time.h"

namespace bambuddy {

bool parseLogLevel(std::string_view text, LogLevel& out) {
  if (text == "debug") {
    out = LogLevel::Debug;
  } else if (text == "info") {
    out = LogLevel::Info;
  } else if (text == "warn") {
    out = LogLevel::Warn;
  } else if (text == "error") {
    out = LogLevel::Error;
  } else {
    return false;
  }
  return true;
}

std::string_view logLevelName(LogLevel level) {
  switch (level) {
  case LogLevel::Debug:
    return "DEBUG";
  case LogLevel::Info:
    return "INFO";
  case LogLevel::Warn:
    return "WARN";
  case LogLevel::Error:
    return "ERROR";
  }
  return "?";
}

Logger::Logger(LogLevel min_level, std::FILE* sink) : min_level_(min_level), sink_(sink) {}

void Logger::setLevel(LogLevel level) {
  std::lock_guard<std::mutex> lock(mutex_);
  min_level_ = level;
}

bool Logger::enabled(LogLevel level) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return level >= min_level_;
}

void Logger::log(LogLevel level, std::string_view component, std::string_view message) {
  std::string line = formatUtcMs(nowUtcMs());
  line += ' ';
  line += logLevelName(level);
  line += " [";
  line += component;
  line += "] ";
  line += message;
  line += '\n';
  std::lock_guard<std::mutex> lock(mutex_);
  if (level < min_level_) {
    return;
  }
  std::fwrite(line.data(), 1, line.size(), sink_);
  std::fflush(sink_);
}

} // namespace bambuddy
