// One printer's MQTT session: connect, subscribe, keep the merged state, report it, reconnect.
//
// Threading: all of the session's work happens on the shared loop thread (mqtt_loop.h): socket
// readiness, timers (connect deadline, staleness, keepalive, backoff) and report_status calls.
// The host's threads call start(), stop() and sendPrintCommand(), and the printer's transfer
// worker (print_starter.h) the start calls, which hand their part to the loop with
// MqttLoop::call(), so no session state needs a lock. Once stop() returns the loop
// holds nothing of the session and no report_status call follows.
#pragma once

#include "backoff.h"
#include "command_rules.h"
#include "driver_config.h"
#include "mqtt_codec.h"
#include "mqtt_connection.h"
#include "mqtt_loop.h"
#include "printer_state.h"
#include "start_status.h"

#include <bambuddy/sdk.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bambuddy::printer_bambu {

class MqttSession : private LoopClient {
public:
  MqttSession(sdk::Host host, DriverConfig config, PrinterSettings settings);
  ~MqttSession() override; // stop()
  MqttSession(const MqttSession&) = delete;
  MqttSession& operator=(const MqttSession&) = delete;

  // Begins connecting and returns at once. A no-op while running.
  void start();
  // Closes the connection (with a DISCONNECT when one is open), ends waiting commands and leaves
  // the loop. Prompt in every state; idempotent.
  void stop();

  // Publishes pause/resume/stop with QoS 1 and waits for the printer's PUBACK.
  // Throws sdk::Error: BB_ERR_UNAVAILABLE (not connected, connection lost, or no acknowledgement
  // within command_timeout_ms), BB_ERR_CONFLICT (see checkCommandAllowed).
  void sendPrintCommand(PrintAction action);

  // ---- Starting a print (PrintStarter's side; host or transfer worker threads) ----
  // Marks a start as running and reports `progress` (state preparing). Throws sdk::Error:
  // BB_ERR_UNAVAILABLE "printer_offline", BB_ERR_CONFLICT "printer_busy" (the printer is not idle,
  // finished or failed) or "start_running" (another start runs).
  void beginStart(const StartProgress& progress);
  // Reports new progress of the running start.
  void updateStart(const StartProgress& progress);
  // Publishes project_file (QoS 1; `payload` gets the sequence id) and waits up to `timeout_ms`
  // for the printer: its answer with that sequence id, and PREPARE/RUNNING with subtask_name
  // `job_name`. `wait` lets another thread end the wait early (Cancelled).
  ProjectFileResult sendProjectFile(const std::function<std::string(uint64_t)>& payload,
                                    const std::string& job_name, int64_t timeout_ms,
                                    const std::shared_ptr<StartWait>& wait);
  // Ends the start: on success the printer's reports of the job keep its file name and job id; a
  // failure is reported once (contract D) before the status mirrors the printer again.
  void endStart(const std::optional<StartFailure>& failure);
  // Publishes stop without waiting and without the state check (a cancelled start whose
  // project_file may have been accepted). No-op while not connected.
  void sendStopBestEffort();

  // The MQTT client id: bambuddy_<serial>_<pid>_<n>.
  const std::string& clientId() const { return client_id_; }
  // How many connection attempts were made so far (for diagnostics and tests). Any thread.
  uint64_t connectAttempts() const { return connect_attempts_.load(); }

private:
  using Clock = std::chrono::steady_clock;
  enum class Phase { Stopped, Resolving, Connecting, Subscribing, Live, Waiting };
  struct CommandWait; // a host thread waiting for a PUBACK

  // LoopClient: the loop thread only, like everything below.
  void onSocket(uint32_t events) override;
  void onTimer() override;
  void onResolved(Resolution resolution) override;

  void beginAttempt();
  void connectTo(const Endpoint& endpoint);
  // After a failed TCP connect: goes on to the looked-up name's next address; false when none is left.
  bool tryNextEndpoint();
  void handlePacket(mqtt::Packet&& packet);
  void onSubscribed(uint8_t granted_qos);
  void onReport(const std::string& payload);
  void applyReport(const std::string& payload);
  // Ends the attempt or connection with `error`: report offline, log, back off.
  void connectionFailed(std::string error); // by value: it may be the closing connection's own text
  void closeConnection(bool say_goodbye);
  void send(const std::string& bytes);
  void watchSocket();
  void scheduleNext();
  void endCommands(const std::string& why);
  uint16_t nextPacketId();

  void report();
  nlohmann::json composeStatus(bool live) const;
  void onStartReport(const PrinterState::ApplyResult& result, const std::string& payload);
  void endStartWait(ProjectFileOutcome outcome, const std::string& message);
  void logReportProblem(const PrinterState::ApplyResult& result);
  void logConnectionError(const std::string& error, int64_t retry_ms);

  sdk::Host host_;
  const DriverConfig config_;
  const PrinterSettings settings_;
  const std::string report_topic_;
  const std::string request_topic_;
  const std::string client_id_;
  const std::string where_;   // "printer <serial> at <host>:<port>", for log lines
  const std::string address_; // "<host>:<port>", for errors
  std::shared_ptr<MqttLoop> loop_;
  std::atomic<uint64_t> connect_attempts_{0};

  // Loop thread only.
  uint64_t loop_id_ = 0;
  Phase phase_ = Phase::Stopped;
  std::unique_ptr<MqttConnection> connection_;
  SSL_CTX* own_ctx_ = nullptr; // tls.ca_file mode: this printer's trust store, rebuilt per attempt
  std::vector<mqtt::Packet> packets_;
  std::vector<Endpoint> endpoints_; // of a name looked up, for the attempt in progress
  size_t next_endpoint_ = 0;
  bool lookup_pending_ = false; // asked the loop's resolver, no answer yet
  Backoff backoff_;
  bool status_since_connect_ = false; // a push_status arrived on this connection
  Clock::time_point deadline_{};      // of the current attempt step (Resolving..Subscribing)
  Clock::time_point retry_at_{};
  Clock::time_point last_message_at_{};
  Clock::time_point last_sent_at_{};
  uint16_t subscribe_id_ = 0;
  uint16_t last_packet_id_ = 0;
  std::map<uint16_t, std::shared_ptr<CommandWait>> commands_;
  std::string connection_error_ = "not connected yet";
  std::string last_reported_;
  bool report_failed_ = false; // the host refused the newest report; offered again soon
  Clock::time_point report_retry_at_{};
  PrinterState state_{PrinterState::Options{config_.error_min_severity, nullptr}};
  uint64_t sequence_id_ = 0;
  std::optional<StartProgress> start_;          // a start runs: its state wins in reports
  std::optional<nlohmann::json> start_failure_; // the failure report not yet taken by the host
  std::optional<AdoptedJob> adopted_;           // the last started job, while the printer shows it
  std::shared_ptr<StartWait> start_wait_;       // waiting for the printer's answer to project_file
  std::string start_sequence_id_;
  std::string start_job_name_;
  bool start_answered_ = false; // project_file answered SUCCESS; PREPARE/RUNNING not seen yet
  std::string last_warned_error_;
  Clock::time_point last_payload_warning_{};
  uint64_t bad_payloads_since_warning_ = 0;
};

} // namespace bambuddy::printer_bambu
