// A blocking-style MQTT client for tests (Paho underneath): connect over TLS with a password,
// subscribe, publish, and wait with a deadline for a received message that matches a predicate.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace mqtt {
class async_client;
}

namespace bambuddy::testing {

struct MqttEndpoint {
  std::string uri;     // ssl://127.0.0.1:PORT
  std::string ca_file; // empty: no certificate verification at all (Bambu printer mode)
  std::string user = "bblp";
  std::string password;
};

struct MqttProbeResult {
  bool ok = false;
  int return_code = 0; // Paho/MQTT return code, e.g. 5 when the broker refused the credentials
  std::string message; // empty when ok
};

// One connect + disconnect; never throws. Used for broker readiness and credential checks.
MqttProbeResult probeMqttConnect(const MqttEndpoint& endpoint, const std::string& client_id,
                                 int64_t timeout_ms);

class MqttTestClient {
public:
  struct Message {
    std::string topic;
    std::string payload;
    int64_t received_ms = 0; // steady clock
  };

  MqttTestClient(MqttEndpoint endpoint, std::string client_id);
  ~MqttTestClient();
  MqttTestClient(const MqttTestClient&) = delete;
  MqttTestClient& operator=(const MqttTestClient&) = delete;

  // Throws mqtt::exception (connection refused, TLS failure, timeout).
  void connect(int64_t timeout_ms = 5000);
  void disconnect();
  bool isConnected() const;
  // Subscriptions are remembered and renewed after a reconnect (see reconnect()).
  void subscribe(const std::string& topic_filter, int qos = 0, int64_t timeout_ms = 5000);
  void publish(const std::string& topic, const std::string& payload, int qos = 1, int64_t timeout_ms = 5000);
  // Connects again (e.g. after a broker restart), retrying until the deadline; renews subscriptions.
  bool reconnect(int64_t timeout_ms);

  // Index of the next message to arrive: pass it as `from` to wait only for newer messages.
  size_t mark() const;
  std::optional<Message> waitFor(const std::function<bool(const Message&)>& match, int64_t timeout_ms,
                                 size_t from = 0) const;
  std::vector<Message> messages(size_t from = 0) const;

private:
  MqttEndpoint endpoint_;
  std::string client_id_;
  std::unique_ptr<mqtt::async_client> client_;
  std::vector<std::pair<std::string, int>> subscriptions_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<Message> received_;
};

} // namespace bambuddy::testing
