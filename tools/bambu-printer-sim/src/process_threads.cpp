#include "process_threads.h"

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

namespace bambusim {

size_t processThreadCount() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) {
      try {
        return static_cast<size_t>(std::stoul(line.substr(8)));
      } catch (const std::exception&) {
        return 0;
      }
    }
  }
  return 0;
}

bool waitUntilSoleThread(int64_t timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    const size_t count = processThreadCount();
    if (count == 1) {
      return true;
    }
    if (count == 0 || std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    // Threads that were told to stop end within microseconds; poll at a fine grain.
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

} // namespace bambusim
