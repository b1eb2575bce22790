#include "sim_driver.h"

#include "sim_route.h"

#include <chrono>
#include <vector>

namespace bambuddy::printer_sim {
namespace {

using nlohmann::json;

std::string firmware() {
  return std::string("sim-") + SimDriver::kVersion;
}

// Job ids start with the creation time in base 36, so a restarted simulation never repeats one.
std::string jobIdBase(int64_t now_ms) {
  const char* digits = "0123456789abcdefghijklmnopqrstuvwxyz";
  uint64_t v = now_ms > 0 ? static_cast<uint64_t>(now_ms) : 0;
  std::string out;
  do {
    out.insert(out.begin(), digits[v % 36]);
    v /= 36;
  } while (v != 0);
  return "sim-" + out;
}

} // namespace

SimDriver::SimDriver(sdk::Host host, const std::string& config_json, const std::string& settings_json)
    : host_(std::move(host)), settings_((checkPluginConfig(config_json), parseSimSettings(settings_json))),
      printer_(settings_, jobIdBase(host_.nowMs())), link_up_(settings_.start_connected) {
  if (!link_up_) {
    offline_reason_ = "the simulated printer starts offline (start_connected: false); send sim_online";
  }
  // Last: a route must never outlive a half-built instance.
  registerActionRoute(host_, [this](const std::string& body, const std::string& caller) {
    return runCommand(body, "POST /api/v1/sim/.../actions by " + caller);
  });
  host_.info(
      "simulated " + settings_.model + " ready: speed x" + json(settings_.speed).dump() + ", reports every " +
      std::to_string(settings_.report_interval_ms) + " ms" +
      (settings_.auto_print ? ", auto_print '" + settings_.auto_print->filename + "'" : std::string()));
}

SimDriver::~SimDriver() {
  try {
    stop();
  } catch (...) {
    // A destructor must not throw; stop only joins.
  }
}

void SimDriver::start() {
  std::lock_guard<std::mutex> lifecycle(lifecycle_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (running_) {
      return;
    }
    running_ = true;
    stopping_ = false;
    wake_ = false;
  }
  try {
    thread_ = std::thread([this] { run(); });
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    running_ = false;
    throw;
  }
}

void SimDriver::stop() {
  std::lock_guard<std::mutex> lifecycle(lifecycle_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    running_ = false;
    stopping_ = true;
  }
  wake_cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

std::string SimDriver::command(const std::string& command_json) {
  return runCommand(command_json, "the command op");
}

std::string SimDriver::capabilities() {
  return R"({"pause":true,"resume":true,"stop":true,"start_print":true,"simulated":true})";
}

std::string SimDriver::runCommand(const std::string& command_json, const std::string& source) {
  SimCommand c = parseCommand(command_json);
  std::string result;
  std::string state;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!running_) {
      throw sdk::Error(BB_ERR_UNAVAILABLE, "not_started", "the simulated printer is not started");
    }
    if (isPrinterAction(c.action) && !link_up_) {
      throw sdk::Error(BB_ERR_UNAVAILABLE, "not_connected",
                       "the simulated printer is offline: " + offline_reason_);
    }
    result = apply(c);
    state = link_up_ ? stateName(printer_.state()) : "offline";
    wake_ = true;
  }
  wake_cv_.notify_all();
  host_.info(std::string(actionName(c.action)) + " from " + source + "; now " + state);
  return result;
}

std::string SimDriver::apply(const SimCommand& c) {
  json result = json::object();
  switch (c.action) {
  case Action::StartPrint:
    return json{{"job_id", printer_.startPrint(c.filename, c.duration_s)}}.dump();
  case Action::Pause:
    printer_.pause();
    break;
  case Action::Resume:
    printer_.resume();
    break;
  case Action::Stop:
    printer_.stop();
    break;
  case Action::SimFail:
    printer_.fail(c.print_error);
    break;
  case Action::SimHms:
    printer_.addError(c.error);
    result["active_errors"] = printer_.errorCount();
    break;
  case Action::SimClearErrors:
    printer_.clearErrors();
    result["active_errors"] = 0;
    break;
  case Action::SimOffline:
    link_up_ = false;
    offline_reason_ = "simulated disconnect (sim_offline); send sim_online";
    break;
  case Action::SimOnline:
    link_up_ = true;
    offline_reason_.clear();
    break;
  }
  result["state"] = link_up_ ? stateName(printer_.state()) : "offline";
  return result.dump();
}

std::string SimDriver::statusTextLocked() const {
  if (!link_up_) {
    // What a real driver knows of an unreachable printer; the simulation itself runs on.
    return json{{"connected", false},
                {"state", "offline"},
                {"connection_error", offline_reason_},
                {"model", settings_.model},
                {"firmware", firmware()}}
        .dump();
  }
  json status = printer_.status();
  status["firmware"] = firmware();
  return status.dump();
}

void SimDriver::run() {
  using Clock = std::chrono::steady_clock;
  const auto interval = std::chrono::milliseconds(settings_.report_interval_ms);
  const auto keepalive = std::chrono::milliseconds(kKeepaliveMs);
  try {
    Clock::time_point last_tick = Clock::now();
    Clock::time_point last_report{};
    std::string last_text;
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      Clock::time_point now = Clock::now();
      double budget_s = std::chrono::duration<double>(now - last_tick).count() * settings_.speed;
      last_tick = now;
      // The state a command left comes first, then every state the clock passes through.
      std::vector<std::string> texts{statusTextLocked()};
      for (int i = 0; i < kMaxChangesPerTick && printer_.advance(budget_s); ++i) {
        texts.push_back(statusTextLocked());
      }
      texts.push_back(statusTextLocked());
      lock.unlock();
      for (const std::string& text : texts) {
        if (text != last_text || now - last_report >= keepalive) {
          report(text);
          last_text = text;
          last_report = now;
        }
      }
      lock.lock();
      wake_cv_.wait_for(lock, interval, [this] { return stopping_ || wake_; });
      wake_ = false;
    }
  } catch (const std::exception& e) {
    host_.error(std::string("the simulation stopped: ") + e.what());
  }
}

void SimDriver::report(const std::string& status_json) {
  try {
    host_.reportStatus(status_json);
    last_report_error_.clear();
  } catch (const std::exception& e) {
    // Once per distinct failure, not once per tick.
    if (last_report_error_ != e.what()) {
      last_report_error_ = e.what();
      host_.warn(std::string("report_status failed: ") + e.what());
    }
  }
}

} // namespace bambuddy::printer_sim
