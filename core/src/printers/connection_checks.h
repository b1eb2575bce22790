// Connection checks (POST /api/v1/printers/check): a temporary driver instance is created through
// the plugin host, its first conclusive status report is awaited (connected, or a connection
// error), then the instance is destroyed. The route answers 202 at once and the client polls the
// result, so a printer that never answers holds one of these threads, never an HTTP worker.
//
// Bounded: at most kMaxRunning checks at once (more are refused, the route answers 429), each at
// most `timeout_ms`; the last kMaxKept results are kept for polling. Results never contain the
// settings; only the driver's own error text, which names no secret.
#pragma once

#include "common/service_error.h"

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace bambuddy {
class Logger;
namespace bus {
class EventBus;
}
namespace plugins {
class PluginHost;
}
} // namespace bambuddy

namespace bambuddy::printers {

// Why a check failed, from the driver's connection error (see classifyConnectionError).
// auth_failed | tls_error | timeout | wrong_serial | unresolvable_host | unreachable |
// invalid_settings | driver_error | shutting_down
std::string classifyConnectionError(const std::string& connection_error);

class ConnectionChecks {
public:
  static constexpr size_t kMaxRunning = 4;
  static constexpr size_t kMaxKept = 32;

  ConnectionChecks(plugins::PluginHost& plugins, Logger& logger, std::function<int64_t()> clock_ms,
                   int64_t timeout_ms = 10000);
  ~ConnectionChecks(); // stop()
  ConnectionChecks(const ConnectionChecks&) = delete;
  ConnectionChecks& operator=(const ConnectionChecks&) = delete;

  // Starts checking `settings` (already validated) with `driver`. Returns the check
  // ({"id","status":"running",...}). ServiceError 429 "checks_busy" when kMaxRunning run,
  // 503 "shutting_down" after stop().
  nlohmann::json start(const std::string& driver, const nlohmann::json& settings,
                       std::optional<int64_t> printer_id);
  // The check's current result; ServiceError 404 when unknown (or long forgotten).
  nlohmann::json get(const std::string& id) const;
  // Ends every running check at once (reason shutting_down), joins their threads, unsubscribes.
  // Call before the plugin host shuts down. Idempotent.
  void stop();

  // A status report of a driver instance (a status intake sink). True when the instance is a
  // check's (then it is no printer's), false otherwise.
  bool onReport(const std::string& driver, const std::string& instance_id, const nlohmann::json& status);

private:
  struct Check;
  void run(std::shared_ptr<Check> check, std::string driver, nlohmann::json settings);
  void reapFinishedLocked(); // mutex_ held: joins threads of finished checks
  std::string newId();

  plugins::PluginHost& plugins_;
  Logger& logger_;
  std::function<int64_t()> clock_ms_;
  const int64_t timeout_ms_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  std::map<std::string, std::shared_ptr<Check>> by_id_;       // running and kept results
  std::map<std::string, std::shared_ptr<Check>> by_instance_; // running only
  std::deque<std::string> finished_order_;                    // oldest first, for forgetting
  std::vector<std::pair<std::shared_ptr<Check>, std::thread>> threads_;
  std::mt19937_64 random_;
};

} // namespace bambuddy::printers
