#include "printers/connection_checks.h"
#include "printers/printer_registry.h"

#include "common/json_parse.h"
#include "common/logger.h"
#include "common/time.h"
#include "plugins/plugin_host.h"

#include <chrono>

namespace bambuddy::printers {

namespace {

constexpr const char* kComponent = "printers";

bool contains(const std::string& text, const char* needle) {
  return text.find(needle) != std::string::npos;
}

} // namespace

std::string classifyConnectionError(const std::string& e) {
  // The drivers' connection errors say what to check; these are the words they use for it
  // (printer-bambu: mqtt_codec.cpp, mqtt_connection.cpp, mqtt_session.cpp).
  if (contains(e, "access code") || contains(e, "password") || contains(e, "not authorized")) {
    return "auth_failed";
  }
  if (contains(e, "serial number")) {
    return "wrong_serial";
  }
  if (contains(e, "timed out")) {
    return "timeout";
  }
  if (contains(e, "TLS") || contains(e, "certificate") || contains(e, "fingerprint")) {
    return "tls_error";
  }
  if (contains(e, "resolve") || contains(e, "looking up")) {
    return "unresolvable_host";
  }
  return "unreachable";
}

struct ConnectionChecks::Check {
  std::string id;
  std::string instance_id;
  std::string driver;
  std::optional<int64_t> printer_id;
  int64_t started_ms = 0;
  // Guarded by ConnectionChecks::mutex_.
  bool decided = false; // the driver answered (or the wait ended); run() still cleans up
  bool done = false;    // the answer as clients see it: only once the temporary instance is gone
  bool ok = false;
  std::string reason;
  std::string detail;
  nlohmann::json model;
  nlohmann::json firmware;
  int64_t finished_ms = 0;
  bool thread_done = false; // run() has nothing left to do but return

  nlohmann::json toJson() const {
    return {{"id", id},
            {"driver", driver},
            {"printer_id", printer_id ? nlohmann::json(*printer_id) : nlohmann::json(nullptr)},
            {"status", !done ? "running"
                       : ok  ? "ok"
                             : "failed"},
            {"reason", done && !ok ? nlohmann::json(reason) : nlohmann::json(nullptr)},
            {"detail", done && !detail.empty() ? nlohmann::json(detail) : nlohmann::json(nullptr)},
            {"model", model},
            {"firmware", firmware},
            {"started_at", formatUtcMs(started_ms)},
            {"finished_at", done ? nlohmann::json(formatUtcMs(finished_ms)) : nlohmann::json(nullptr)},
            {"duration_ms", done ? nlohmann::json(finished_ms - started_ms) : nlohmann::json(nullptr)}};
  }
};

ConnectionChecks::ConnectionChecks(plugins::PluginHost& plugins, Logger& logger,
                                   std::function<int64_t()> clock_ms, int64_t timeout_ms)
    : plugins_(plugins), logger_(logger), clock_ms_(std::move(clock_ms)), timeout_ms_(timeout_ms),
      random_(std::random_device{}()) {}

ConnectionChecks::~ConnectionChecks() {
  stop();
}

std::string ConnectionChecks::newId() {
  static const char* kHex = "0123456789abcdef";
  uint64_t bits = random_();
  std::string hex;
  for (int shift = 60; shift >= 0; shift -= 4) {
    hex += kHex[(bits >> shift) & 0xF];
  }
  return hex;
}

nlohmann::json ConnectionChecks::start(const std::string& driver, const nlohmann::json& settings,
                                       std::optional<int64_t> printer_id) {
  auto check = std::make_shared<Check>();
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) {
    throw ServiceError(503, "shutting_down", "the server is shutting down");
  }
  reapFinishedLocked();
  if (by_instance_.size() >= kMaxRunning) {
    throw ServiceError(429, "checks_busy",
                       std::to_string(kMaxRunning) +
                           " connection checks are running; try again in a few seconds");
  }
  std::string hex = newId();
  check->id = "chk_" + hex;
  check->instance_id = "check-" + hex;
  check->driver = driver;
  check->printer_id = printer_id;
  check->started_ms = clock_ms_();
  by_id_[check->id] = check;
  by_instance_[check->instance_id] = check;
  threads_.emplace_back(check,
                        std::thread([this, check, driver, settings] { run(check, driver, settings); }));
  return check->toJson();
}

nlohmann::json ConnectionChecks::get(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) {
    throw ServiceError(ServiceError::Kind::NotFound, "not_found", "no connection check with id " + id);
  }
  return it->second->toJson();
}

bool ConnectionChecks::onReport(const std::string& driver, const std::string& instance_id,
                                const nlohmann::json& status) {
  if (!isCheckInstanceId(instance_id) || !status.is_object()) {
    return false;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = by_instance_.find(instance_id);
  if (it == by_instance_.end() || it->second->decided || driver != it->second->driver) {
    return true;
  }
  Check& check = *it->second;
  const nlohmann::json error = status.value("connection_error", nlohmann::json(nullptr));
  // Only the types the normalized status promises count; anything else is no answer yet.
  auto connected = status.find("connected");
  if (connected != status.end() && *connected == true) {
    check.ok = true;
  } else if (error.is_string() && !error.get<std::string>().empty() &&
             error.get<std::string>().rfind("connected;", 0) != 0) {
    // "connected; waiting for the printer's first status report" is on the way, not an answer.
    check.ok = false;
    check.detail = error.get<std::string>();
    check.reason = classifyConnectionError(check.detail);
  } else {
    return true;
  }
  auto text = [&](const char* key) {
    auto v = status.find(key);
    return v != status.end() && v->is_string() ? *v : nlohmann::json(nullptr);
  };
  check.model = text("model");
  check.firmware = text("firmware");
  check.decided = true;
  check.finished_ms = clock_ms_();
  changed_.notify_all();
  return true;
}

void ConnectionChecks::run(std::shared_ptr<Check> check, std::string driver, nlohmann::json settings) {
  bool created = false;
  std::string create_error;
  try {
    plugins_.createInstance(driver, check->instance_id, settings);
    created = true;
  } catch (const std::exception& e) {
    create_error = e.what();
  }
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!created) {
      check->reason = "invalid_settings";
      check->detail = "the driver refused the settings: " + create_error;
    } else {
      changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms_),
                        [&] { return check->decided || stopping_; });
      if (!check->decided) {
        check->reason = stopping_ ? "shutting_down" : "timeout";
        check->detail = stopping_
                            ? "the server is shutting down"
                            : "no answer from the printer within " + std::to_string(timeout_ms_ / 1000) +
                                  " s (check the address and that the printer is on and in LAN mode)";
      }
    }
    // Later reports of this instance are not this check's answer.
    by_instance_.erase(check->instance_id);
  }
  if (created) {
    plugins_.destroyInstance(driver, check->instance_id);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (!check->decided) {
    check->decided = true;
    check->finished_ms = clock_ms_();
  }
  check->done = true; // only now: a client that sees the answer never sees the temporary instance
  logger_.info(kComponent, "connection check " + check->id + " (" + driver + "): " +
                               (check->ok ? std::string("connected") : check->reason + ": " + check->detail));
  finished_order_.push_back(check->id);
  while (finished_order_.size() > kMaxKept) {
    by_id_.erase(finished_order_.front());
    finished_order_.pop_front();
  }
  check->thread_done = true;
}

void ConnectionChecks::reapFinishedLocked() {
  for (auto it = threads_.begin(); it != threads_.end();) {
    // thread_done is set last in run(), under mutex_: the thread only has to return.
    if (it->first->thread_done) {
      it->second.join();
      it = threads_.erase(it);
    } else {
      ++it;
    }
  }
}

void ConnectionChecks::stop() {
  std::vector<std::pair<std::shared_ptr<Check>, std::thread>> threads;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    threads.swap(threads_);
  }
  changed_.notify_all();
  for (auto& [check, thread] : threads) {
    thread.join();
  }
}

} // namespace bambuddy::printers
