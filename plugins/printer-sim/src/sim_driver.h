// printer.sim: a simulated printer (one instance per printer) that runs in-process on its own
// clock, for the default config's demo and for tests of the core.
#pragma once

#include "sim_command.h"
#include "sim_printer.h"
#include "sim_settings.h"

#include <bambuddy/sdk.hpp>
#include <bambuddy_plugin_schemas.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace bambuddy::printer_sim {

inline constexpr int64_t kKeepaliveMs = 5000; // an unchanged status is repeated this often
inline constexpr int kMaxChangesPerTick =
    16; // bounds a tick at absurd speeds; the rest of the time is dropped

class SimDriver : public sdk::PrinterDriver {
public:
  static constexpr const char* kName = "printer.sim";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "A simulated printer for demos and tests: heats, prints and finishes on its own clock, takes "
      "pause/resume/stop/start_print and test hooks (sim_fail, sim_hms, sim_offline, ...)";
  static constexpr const char* kConfigSchema = plugin::kConfigSchemaJson;
  static constexpr const char* kInstanceSchema = plugin::kInstanceSchemaJson;

  // Throws sdk::Error(BB_ERR_INVALID_ARGUMENT): invalid_config, invalid_settings. Registers the
  // POST /api/v1/sim/<id>/actions route last (see sim_route.h).
  SimDriver(sdk::Host host, const std::string& config_json, const std::string& settings_json);
  ~SimDriver() override; // stop()

  // Starts the clock thread; its first report follows at once. Idempotent; start after stop
  // continues the simulation where it was (no time passes while stopped).
  void start() override;
  // Joins the thread: no report_status after it returns. Idempotent.
  void stop() override;
  // See sim_command.h for the actions. Results: start_print {"job_id"}; the others {"state"} (the
  // reported state afterwards), sim_hms and sim_clear_errors also "active_errors". Errors:
  // BB_ERR_UNAVAILABLE before start/after stop, and for printer actions while offline;
  // BB_ERR_CONFLICT when the state does not fit (the message names the state).
  std::string command(const std::string& command_json) override;
  std::string capabilities() override;

private:
  std::string runCommand(const std::string& command_json, const std::string& source);
  std::string apply(const SimCommand& c); // under mutex_
  void run();                             // the clock thread
  std::string statusTextLocked() const;
  void report(const std::string& status_json);

  sdk::Host host_;
  const SimSettings settings_;

  std::mutex lifecycle_mutex_; // serializes start and stop

  mutable std::mutex mutex_; // guards everything below
  std::condition_variable wake_cv_;
  SimPrinter printer_;
  bool running_ = false;       // between start and stop: commands are accepted
  bool stopping_ = false;      // tells the thread to end
  bool wake_ = false;          // a command changed something: report it now
  bool link_up_;               // sim_offline / sim_online
  std::string offline_reason_; // connection_error while !link_up_
  std::thread thread_;

  std::string last_report_error_; // touched by the clock thread only
};

} // namespace bambuddy::printer_sim
