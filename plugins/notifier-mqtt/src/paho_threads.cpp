#include "paho_threads.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace bambuddy::notifier_mqtt {
namespace {

std::atomic<int>& liveClients() {
  static std::atomic<int> count{0};
  return count;
}

} // namespace

bool pahoThreadsRunning() {
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (std::getline(comm, name) && name.rfind("MQTTAsync_", 0) == 0) {
      return true;
    }
  }
  return false;
}

PahoClientCount::PahoClientCount() {
  ++liveClients();
}

PahoClientCount::~PahoClientCount() {
  if (--liveClients() != 0) {
    return;
  }
  // They end within microseconds once Paho has no client left. Another user of Paho in the process
  // (a test's own client) keeps them running: then this gives up after a short, bounded wait.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  while (pahoThreadsRunning() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1)); // they end within microseconds
  }
}

} // namespace bambuddy::notifier_mqtt
