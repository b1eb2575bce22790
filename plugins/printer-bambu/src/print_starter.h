// Starts prints on one printer: the file to its storage, then project_file over MQTT.
//
// start() runs on the host's command thread: it checks the printer can start, opens the file
// (readable only during the command call) and hands the job to this printer's transfer worker
// thread, so the answer {"job_id","remote_file"} comes at once. The worker hashes the file, skips
// the upload when the printer holds the same file already, uploads it with progress, sends
// project_file and waits for the printer; the status follows contract D throughout (MqttSession
// reports it). One start at a time per printer; never on the shared MQTT loop thread.
//
// cancel() (a stop command) and shutdown() (the printer removed, the server stopping) end a
// running start promptly: the transport is cancelled and every wait woken.
#pragma once

#include "driver_config.h"
#include "mqtt_session.h"
#include "start_request.h"
#include "start_status.h"
#include "storage_transport.h"

#include <bambuddy/sdk.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace bambuddy::printer_bambu {

class PrintStarter {
public:
  PrintStarter(sdk::Host host, DriverConfig config, std::string serial, MqttSession& session,
               TransportFactory transports);
  ~PrintStarter(); // shutdown()
  PrintStarter(const PrintStarter&) = delete;
  PrintStarter& operator=(const PrintStarter&) = delete;

  // Accepts a start and returns {"job_id","remote_file"}. Throws sdk::Error: BB_ERR_UNAVAILABLE
  // (not connected), BB_ERR_CONFLICT (printer_busy, start_running), BB_ERR_INVALID_ARGUMENT
  // (file_unreadable: file.path cannot be opened or is not file.size bytes).
  std::string start(const StartPrintRequest& request);
  // Cancels the running start; false when none runs (or it has reported its end and only cleans
  // up). Returns at once: the worker reports the cancel and removes the partial file.
  bool cancel();
  // Cancels and joins the worker; prompt (no clean-up on the printer). Idempotent. Starts are
  // refused until resume().
  void shutdown();
  void resume() { stopping_ = false; }
  // A start is running (also while its clean-up does: no new start before it is done).
  bool running() const { return running_.load(); }
  // A start is running and has not reported its end yet: the status shows it.
  bool active() const { return running_.load() && !reported_.load(); }

  // The kv key remembering what was uploaded as `remote_file` on the printer `serial`.
  static std::string uploadRecordKey(const std::string& serial, const std::string& remote_file);

private:
  struct Job;
  void run(std::unique_ptr<Job> job);
  std::optional<StartFailure> transfer(Job& job);
  std::optional<StartFailure> hashFile(Job& job);
  std::optional<StartFailure> startOnPrinter(Job& job);
  void cleanUp(Job& job);
  void cancelLocked(); // mutex_ held
  StartFailure cancelledFailure() const;
  // A fresh transport, registered for cancel(); one made for the clean-up after a cancel is
  // cancelled only by shutdown().
  std::unique_ptr<StorageTransport> newTransport(bool for_cleanup = false);
  void progress(Job& job, bool force);

  sdk::Host host_;
  const DriverConfig config_;
  const std::string serial_;
  MqttSession& session_;
  TransportFactory transports_;
  const std::string where_;

  std::mutex mutex_; // guards the fields below and the current transport/wait pointers
  std::thread worker_;
  StorageTransport* transport_ = nullptr; // the job's transport in use, for cancel()
  std::shared_ptr<StartWait> wait_;       // the job's project_file wait, for cancel()
  std::atomic<bool> running_{false};
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> reported_{false}; // the running start reported its end (clean-up may follow)
  uint64_t jobs_ = 0;
};

} // namespace bambuddy::printer_bambu
