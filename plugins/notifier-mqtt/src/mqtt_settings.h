// notifier.mqtt's instance settings, parsed and checked (see schema/instance.schema.json).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace bambuddy::notifier_mqtt {

inline constexpr uint16_t kDefaultPort = 1883;
inline constexpr const char* kDefaultTopicPrefix = "bambuddy";
inline constexpr const char* kDefaultDiscoveryPrefix = "homeassistant";

struct MqttSettings {
  std::string host;
  uint16_t port = kDefaultPort;
  bool tls = false;
  std::optional<std::string> ca_file;
  bool tls_insecure = false;
  std::optional<std::string> username;
  std::optional<std::string> password; // never logged, never in a message
  std::string client_id;               // explicit, or derived from the instance id
  std::string topic_prefix = kDefaultTopicPrefix;
  int qos = 1;
  bool retain = false;
  bool discovery = true;
  std::string discovery_prefix = kDefaultDiscoveryPrefix;
  bool allow_control = false;

  // tcp://host:port or ssl://host:port (an IPv6 literal in brackets).
  std::string serverUri() const;
  // host:port for messages and logs.
  std::string where() const;
};

// Throws sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_settings", "notifier.mqtt settings: /port
// ...") naming the field; never echoes the password. `instance_id` names the default client id.
MqttSettings parseMqttSettings(const std::string& settings_json, const std::string& instance_id);

// The default client id for an instance: "bambuddy-" + the id with anything outside
// [A-Za-z0-9._-] replaced by '_' (at most 128 characters).
std::string defaultClientId(const std::string& instance_id);

// A topic prefix is 1..128 bytes of valid UTF-8 without wildcards, NUL or control characters,
// empty levels or a leading '$'. nullopt when fine, else why not.
std::optional<std::string> topicPrefixProblem(const std::string& prefix);

} // namespace bambuddy::notifier_mqtt
