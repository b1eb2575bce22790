// One Paho MQTT connection to the broker: the connect options (TLS, login, the "offline" last
// will), connect and disconnect with bounded waits, publishing with or without waiting for the
// broker's acknowledgement, subscribing. Paho's types stay inside mqtt_link.cpp.
//
// Threads: connect() and disconnect() are called by one thread only (the notifier's loop) and
// never at the same time; Paho C corrupts a connect in progress when another connect or
// disconnect starts (ADR 0005). publish* and subscribe may be called from any thread.
#pragma once

#include "mqtt_settings.h"
#include "paho_threads.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace bambuddy::notifier_mqtt {

struct LinkCallbacks {
  // A message on a subscribed topic. Runs on Paho's receive thread, which serves every client of
  // the process: return at once.
  std::function<void(const std::string& topic, const std::string& payload)> on_message;
  // The connection dropped (broker gone, network). Paho's thread; return at once.
  std::function<void()> on_connection_lost;
};

struct PublishOutcome {
  enum class Kind { Delivered, NotConnected, Refused, Timeout };
  Kind kind = Kind::NotConnected;
  std::string message; // "" when delivered
};

class MqttLink {
public:
  static constexpr int64_t kConnectTimeoutMs = 5000;

  MqttLink(const MqttSettings& settings, std::string will_topic, LinkCallbacks callbacks);
  ~MqttLink();
  MqttLink(const MqttLink&) = delete;
  MqttLink& operator=(const MqttLink&) = delete;

  // Connects, waiting at most kConnectTimeoutMs (+1 s). nullopt on success, else a precise reason
  // without secrets, e.g. "the broker at 10.0.0.5:1883 refused the login: not authorized".
  std::optional<std::string> connect();
  // Clean disconnect (the broker does not send the will), waiting at most `timeout_ms`.
  void disconnect(int64_t timeout_ms);
  bool connected() const;

  // Hands the message to Paho and returns at once; false when not connected or refused.
  bool publish(const std::string& topic, const std::string& payload, int qos, bool retained);
  // Publishes and waits up to `timeout_ms` until the broker acknowledged it (QoS 1: PUBACK, QoS 2:
  // PUBCOMP; QoS 0: written to the connection).
  PublishOutcome publishAndWait(const std::string& topic, const std::string& payload, int qos, bool retained,
                                int64_t timeout_ms);
  // Subscribes without waiting; false when not connected.
  bool subscribe(const std::string& filter, int qos);
  // QoS 1/2 messages handed to Paho and not yet acknowledged.
  size_t pendingDeliveries() const;

private:
  struct Paho;                 // the client and the options it points into, alive as long as the link
  PahoClientCount paho_count_; // first: destroyed after the client
  const MqttSettings settings_;
  std::unique_ptr<Paho> paho_;
};

} // namespace bambuddy::notifier_mqtt
