// One printer's MQTT connection: connect, subscribe, keep the merged state, report it, reconnect.
//
// A worker thread owns the connection lifecycle (connect, watch for loss and staleness, back
// off, reconnect); Paho's callback thread delivers reports; host threads send commands. One
// mutex guards the state, and every report_status call is made under it after checking that
// stop() has not begun, so nothing is reported once stop() returns.
#pragma once

#include "command_rules.h"
#include "driver_config.h"
#include "printer_state.h"

#include <bambuddy/sdk.hpp>

#include <mqtt/async_client.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace bambuddy::printer_bambu {

class MqttSession {
public:
  MqttSession(sdk::Host host, DriverConfig config, PrinterSettings settings);
  ~MqttSession(); // stop(), then the MQTT client is destroyed
  MqttSession(const MqttSession&) = delete;
  MqttSession& operator=(const MqttSession&) = delete;

  // Starts the worker and returns at once. A no-op while running.
  void start();
  // Closes the report gate, wakes and joins the worker (which disconnects), and waits for Paho
  // callbacks in flight. Idempotent and prompt: cancels the driver's own TCP/TLS probe, and leaves
  // an MQTT handshake Paho already runs to Paho (a later start() waits for its end first).
  void stop();

  // Publishes pause/resume/stop with QoS 1 and waits for the broker's acknowledgement.
  // Throws sdk::Error: BB_ERR_UNAVAILABLE (not connected, or no acknowledgement within
  // command_timeout_ms), BB_ERR_CONFLICT (see checkCommandAllowed).
  void sendPrintCommand(PrintAction action);

  // The MQTT client id: bambuddy_<serial>_<pid>_<n>.
  const std::string& clientId() const { return client_id_; }
  // How many MQTT connections were attempted so far (for diagnostics and tests).
  uint64_t connectAttempts() const;

private:
  using Clock = std::chrono::steady_clock;

  void run();
  // Paho must never start a connect or disconnect while the previous one on the same client is
  // unfinished (it would overwrite the running attempt's callback context: one token completes
  // twice, another never). Waits for pending_; false when stop() began first (pending_ then stays
  // for the next run, or the destructor, which Paho lets abandon it). Worker only.
  bool waitForPending();
  bool isConnected();
  bool connect(std::string& error);
  // Waits while connected; returns why the connection ended ("" when stopping).
  std::string watchConnection(bool& delivered_status);
  void disconnect();
  bool stopping() const;
  void installCallbacks();

  void onMessage(const mqtt::const_message_ptr& message);
  void onConnectionLost(const std::string& cause);

  // Require mutex_.
  // Waits on wake_ until `until` (or a notification); retries a refused report meanwhile.
  void waitLocked(std::unique_lock<std::mutex>& lock, Clock::time_point until);
  void reportLocked();
  void logReportProblemLocked(const PrinterState::ApplyResult& result);
  void logConnectionErrorLocked(const std::string& error, int64_t retry_ms);

  sdk::Host host_;
  const DriverConfig config_;
  const PrinterSettings settings_;
  const std::string report_topic_;
  const std::string request_topic_;
  const std::string client_id_;
  const std::string where_;       // "printer <serial> at <host>:<port>", for log lines
  mqtt::ssl_options tls_options_; // connect_options_ points into it (see configureTls)
  mqtt::connect_options connect_options_;
  std::unique_ptr<mqtt::async_client> client_;
  mqtt::token_ptr pending_; // the last connect or disconnect while unfinished; worker only

  std::mutex lifecycle_mutex_; // serializes start() and stop()
  std::thread worker_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;           // the worker: stop, lost connection, refused report
  std::condition_variable callbacks_idle_; // stop(): callbacks_in_flight_ reached 0
  bool stopping_ = false;
  bool reports_closed_ = false;
  int callbacks_in_flight_ = 0;
  bool mqtt_connected_ = false;
  bool status_since_connect_ = false; // a push_status arrived on this connection
  bool lost_ = false;
  std::string lost_cause_;
  Clock::time_point last_message_at_;
  std::string connection_error_ = "not connected yet";
  std::string last_reported_;
  bool report_failed_ = false; // the host refused the newest report; the worker offers it again
  PrinterState state_;
  uint64_t sequence_id_ = 0;
  uint64_t connect_attempts_ = 0;
  std::string last_warned_error_;
  Clock::time_point last_payload_warning_{};
  uint64_t bad_payloads_since_warning_ = 0;
};

} // namespace bambuddy::printer_bambu
