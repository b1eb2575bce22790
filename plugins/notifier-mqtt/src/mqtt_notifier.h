// notifier.mqtt: one MQTT broker connection per instance.
//
//   send()            the notification, to <prefix>/events/<event>, acknowledged before the deadline
//   printer_status    each printer's status, retained, to <prefix>/printers/<id>/status (<= 1/s)
//   availability      <prefix>/status: "online" after each connect, "offline" as the last will
//   discovery         Home Assistant configs per printer; cleared on printer_removed
//   allow_control     <prefix>/printers/<id>/command (pause | resume | stop) -> host printer_command
//
// Threads: bus callbacks only record the latest status and wake the loop; the loop thread owns
// the connection (connect, reconnect with backoff, republish, status flush); commands from the
// broker run on their own thread; send() runs on the host's delivery threads.
#pragma once

#include "command_queue.h"
#include "ha_discovery.h"
#include "mqtt_link.h"
#include "mqtt_settings.h"
#include "mqtt_topics.h"
#include "net/ssrf_guard.h"
#include "status_board.h"

#include <bambuddy/sdk.hpp>
#include <bambuddy_plugin_schemas.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace bambuddy::notifier_mqtt {

// A printer's status reaches the broker at most this often.
inline constexpr int64_t kStatusIntervalMs = 1000;
// Statuses are flushed in batches at most this often, so a burst of 1,000 printers costs one
// pass, not a thousand wake-ups.
inline constexpr int64_t kFlushGranularityMs = 50;
// Reconnect backoff: doubles from the first to the last.
inline constexpr int64_t kFirstBackoffMs = 500;
inline constexpr int64_t kMaxBackoffMs = 30000;
// Unacknowledged messages above which status flushes wait (the broker is not keeping up).
inline constexpr size_t kMaxPendingDeliveries = 20000;

class MqttNotifier : public sdk::Notifier {
public:
  static constexpr const char* kName = "notifier.mqtt";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Publishes events, printer status and Home Assistant discovery to an MQTT broker";
  static constexpr const char* kConfigSchema = bambuddy::plugin::kConfigSchemaJson;
  static constexpr const char* kInstanceSchema = bambuddy::plugin::kInstanceSchemaJson;

  MqttNotifier(sdk::Host host, const std::string& config_json, const std::string& settings_json);
  ~MqttNotifier() override;

  sdk::DeliveryResult send(const std::string& notification_json, int64_t deadline_ms) override;
  // Images are not published (the payload is the notification; the SDK's default sends it).
  // The topic and payload send() would publish, with QoS and retain; touches no connection.
  std::string preview(const std::string& notification_json) override;

private:
  // Why `event` cannot be published, nullopt when it can (its name becomes a topic level).
  std::optional<std::string> eventProblem(const std::string& event) const;

  void onStatus(const sdk::Event& event);                               // bus thread
  void onRemoved(const sdk::Event& event);                              // bus thread
  void onMessage(const std::string& topic, const std::string& payload); // Paho thread
  void runCommand(const PrinterCommandRequest& request);                // command thread

  void loop();
  bool connectOnce();
  void afterConnect();
  // Publishes what is due; returns when the next held-back status is due (steady ms).
  int64_t flush(int64_t now_ms);
  void wake();
  void noteError(const std::string& error);

  sdk::Host host_;
  common::net::SsrfPolicy policy_;
  MqttSettings settings_;
  Topics topics_;
  DiscoveryContext discovery_;
  StatusBoard board_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool work_ = false;
  std::string last_error_; // why the link is down; "" while connected or before the first attempt

  // Paho may still be inside a callback of ours while the client is destroyed: the destructor
  // closes this gate, and a callback runs only while holding it open.
  std::mutex paho_gate_mutex_;
  bool paho_gate_open_ = true;

  std::unique_ptr<MqttLink> link_;
  std::unique_ptr<CommandQueue> commands_; // only with allow_control
  std::thread loop_;                       // last: starts once everything above exists
};

} // namespace bambuddy::notifier_mqtt
