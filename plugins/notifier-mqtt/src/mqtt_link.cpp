#include "mqtt_link.h"

#include <mqtt/async_client.h>

#include <chrono>

namespace bambuddy::notifier_mqtt {
namespace {

// CONNACK return codes of MQTT 3.1.1 (3.2.2.3).
std::string connackText(int code) {
  switch (code) {
  case 1:
    return "refused the connection: unacceptable protocol version (MQTT 3.1.1 is used)";
  case 2:
    return "refused the client id (set client_id to one the broker accepts)";
  case 3:
    return "refused the connection: server unavailable";
  case 4:
    return "refused the login: bad user name or password";
  case 5:
    return "refused the connection: not authorized (check username and password)";
  default:
    return "";
  }
}

} // namespace

struct MqttLink::Paho {
  // Paho C++ keeps pointers into its options (TLS paths, will): they live as long as the client.
  mqtt::ssl_options ssl;
  mqtt::connect_options options;
  std::unique_ptr<mqtt::async_client> client;
};

MqttLink::MqttLink(const MqttSettings& settings, std::string will_topic, LinkCallbacks callbacks)
    : settings_(settings), paho_(std::make_unique<Paho>()) {
  // No persistence and no offline buffer: what was not sent is republished from the current
  // state after a reconnect, and events are retried by the core's outbox.
  paho_->client = std::make_unique<mqtt::async_client>(settings_.serverUri(), settings_.client_id);
  auto builder = mqtt::connect_options_builder()
                     .mqtt_version(MQTTVERSION_3_1_1)
                     .clean_session(true)
                     .keep_alive_interval(std::chrono::seconds(30))
                     .connect_timeout(std::chrono::milliseconds(kConnectTimeoutMs))
                     .will(mqtt::will_options(will_topic, std::string("offline"), 1, true));
  if (settings_.username) {
    builder.user_name(*settings_.username);
  }
  if (settings_.password) {
    builder.password(*settings_.password);
  }
  // Built in place and never copied afterwards: Paho's C structs point into these objects.
  paho_->options = builder.finalize();
  if (settings_.tls) {
    // Never ssl_options_builder().error_handler(): it keeps a pointer to a temporary (deps.md).
    auto ssl = mqtt::ssl_options_builder();
    if (settings_.tls_insecure) {
      ssl.enable_server_cert_auth(false).verify(false);
    } else {
      ssl.enable_server_cert_auth(true).verify(true);
      if (settings_.ca_file) {
        ssl.trust_store(*settings_.ca_file);
      }
    }
    paho_->ssl = ssl.finalize();
    paho_->options.set_ssl(paho_->ssl);
  }
  if (callbacks.on_message) {
    paho_->client->set_message_callback([cb = callbacks.on_message](mqtt::const_message_ptr message) {
      cb(message->get_topic(), message->to_string());
    });
  }
  if (callbacks.on_connection_lost) {
    paho_->client->set_connection_lost_handler(
        [cb = callbacks.on_connection_lost](const std::string&) { cb(); });
  }
}

MqttLink::~MqttLink() {
  try {
    if (paho_->client->is_connected()) {
      disconnect(1000);
    }
    // No callback may run into the notifier once the link is gone.
    paho_->client->disable_callbacks();
  } catch (...) {
  }
  paho_.reset();
}

std::optional<std::string> MqttLink::connect() {
  const std::string where = "the MQTT broker at " + settings_.where();
  try {
    mqtt::token_ptr token = paho_->client->connect(paho_->options);
    if (!token->wait_for(std::chrono::milliseconds(kConnectTimeoutMs + 1000))) {
      return where + " did not answer within " + std::to_string(kConnectTimeoutMs / 1000) + " s";
    }
    return std::nullopt;
  } catch (const mqtt::exception& e) {
    for (int code : {e.get_return_code(), e.get_reason_code()}) {
      std::string refused = connackText(code);
      if (!refused.empty()) {
        return where + " " + refused;
      }
    }
    // Paho reports refused, unreachable and failed TLS handshakes alike (MQTTASYNC_FAILURE).
    return "cannot connect to " + where + " (connection refused, unreachable, or TLS handshake failed" +
           (settings_.tls && !settings_.tls_insecure ? ": check the certificate, ca_file and host name"
                                                     : "") +
           "): " + e.get_message();
  } catch (const std::exception& e) {
    return "cannot connect to " + where + ": " + e.what();
  }
}

void MqttLink::disconnect(int64_t timeout_ms) {
  try {
    paho_->client->disconnect(std::chrono::milliseconds(timeout_ms))
        ->wait_for(std::chrono::milliseconds(timeout_ms + 200));
  } catch (const mqtt::exception&) {
    // Already gone: nothing to close.
  }
}

bool MqttLink::connected() const {
  return paho_->client->is_connected();
}

bool MqttLink::publish(const std::string& topic, const std::string& payload, int qos, bool retained) {
  try {
    paho_->client->publish(topic, payload.data(), payload.size(), qos, retained);
    return true;
  } catch (const mqtt::exception&) {
    return false;
  }
}

PublishOutcome MqttLink::publishAndWait(const std::string& topic, const std::string& payload, int qos,
                                        bool retained, int64_t timeout_ms) {
  PublishOutcome out;
  mqtt::delivery_token_ptr token;
  try {
    token = paho_->client->publish(topic, payload.data(), payload.size(), qos, retained);
  } catch (const mqtt::exception& e) {
    out.kind = e.get_return_code() == MQTTASYNC_DISCONNECTED ? PublishOutcome::Kind::NotConnected
                                                             : PublishOutcome::Kind::Refused;
    out.message = out.kind == PublishOutcome::Kind::NotConnected
                      ? "not connected to the MQTT broker at " + settings_.where()
                      : "the MQTT client refused the message: " + e.get_message();
    return out;
  }
  try {
    if (!token->wait_for(std::chrono::milliseconds(std::max<int64_t>(1, timeout_ms)))) {
      out.kind = PublishOutcome::Kind::Timeout;
      out.message = "timeout: the MQTT broker at " + settings_.where() + " did not acknowledge within " +
                    std::to_string(timeout_ms) + " ms";
      return out;
    }
  } catch (const mqtt::exception& e) {
    // The connection dropped before the acknowledgement.
    out.kind = PublishOutcome::Kind::NotConnected;
    out.message = "the connection to the MQTT broker at " + settings_.where() +
                  " dropped before it acknowledged: " + e.get_message();
    return out;
  }
  out.kind = PublishOutcome::Kind::Delivered;
  return out;
}

bool MqttLink::subscribe(const std::string& filter, int qos) {
  try {
    paho_->client->subscribe(filter, qos);
    return true;
  } catch (const mqtt::exception&) {
    return false;
  }
}

size_t MqttLink::pendingDeliveries() const {
  return paho_->client->get_pending_delivery_tokens().size();
}

} // namespace bambuddy::notifier_mqtt
