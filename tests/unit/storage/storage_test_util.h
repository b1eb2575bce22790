// Shared helpers for the storage tests: a logger whose output the test can read back.
#pragma once

#include "common/logger.h"

#include <cstdio>
#include <stdexcept>
#include <string>

namespace bambuddy::storage::test {

class LogCapture {
public:
  LogCapture() : file_(std::tmpfile()), logger_(LogLevel::Debug, file_) {
    if (file_ == nullptr) {
      throw std::runtime_error("tmpfile() failed");
    }
  }
  ~LogCapture() { std::fclose(file_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  Logger& logger() { return logger_; }

  std::string text() {
    std::fflush(file_);
    std::rewind(file_);
    std::string out;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, file_)) > 0) {
      out.append(buf, n);
    }
    std::fseek(file_, 0, SEEK_END);
    return out;
  }

private:
  std::FILE* file_;
  Logger logger_;
};

inline std::size_t countOccurrences(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (std::size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
    ++count;
  }
  return count;
}

} // namespace bambuddy::storage::test
