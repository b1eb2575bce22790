#include "mqtt_settings.h"

#include "text/json_input.h"
#include "text/utf8.h"

#include <bambuddy/abi.h>
#include <bambuddy/sdk.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>

namespace bambuddy::notifier_mqtt {
namespace {

using nlohmann::json;

const std::string kWhat = "notifier.mqtt settings";

[[noreturn]] void invalid(const std::string& message) {
  throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_settings", kWhat + ": " + message);
}

std::string describe(const json& value) {
  return value.is_number() ? value.dump() : std::string(value.type_name());
}

bool isIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

bool isHostChar(char c) {
  return isIdChar(c) || c == ':';
}

const json* present(const json& settings, const char* key) {
  auto it = settings.find(key);
  return it == settings.end() || it->is_null() ? nullptr : &*it;
}

std::optional<std::string> stringField(const json& settings, const char* key) {
  const json* value = present(settings, key);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (!value->is_string()) {
    invalid(std::string("/") + key + " must be a string, got " + value->type_name());
  }
  return value->get<std::string>();
}

bool boolField(const json& settings, const char* key, bool fallback) {
  const json* value = present(settings, key);
  if (value == nullptr) {
    return fallback;
  }
  if (!value->is_boolean()) {
    invalid(std::string("/") + key + " must be true or false, got " + describe(*value));
  }
  return value->get<bool>();
}

int64_t intField(const json& settings, const char* key, int64_t fallback, int64_t min, int64_t max,
                 const std::string& range_text) {
  const json* value = present(settings, key);
  if (value == nullptr) {
    return fallback;
  }
  if (!value->is_number_integer() || value->get<int64_t>() < min || value->get<int64_t>() > max) {
    invalid(std::string("/") + key + " must be " + range_text + ", got " + describe(*value));
  }
  return value->get<int64_t>();
}

std::string prefixField(const json& settings, const char* key, const char* fallback) {
  std::optional<std::string> value = stringField(settings, key);
  if (!value) {
    return fallback;
  }
  if (auto problem = topicPrefixProblem(*value)) {
    invalid(std::string("/") + key + " " + *problem);
  }
  return *value;
}

void parseHost(const json& settings, MqttSettings& out) {
  std::optional<std::string> host = stringField(settings, "host");
  if (!host) {
    invalid("/host is required");
  }
  if (host->find("://") != std::string::npos) {
    invalid("/host must be a host name or IP address without a scheme (set tls for TLS)");
  }
  if (host->empty() || host->size() > 253 || !std::all_of(host->begin(), host->end(), isHostChar)) {
    invalid("/host must be 1 to 253 letters, digits, '.', '-', '_' or ':' (a host name, IPv4 or IPv6 "
            "address, without a port)");
  }
  // A port given inside host ("broker:1884") is a common slip; only IPv6 literals hold colons.
  if (std::count(host->begin(), host->end(), ':') == 1) {
    invalid("/host must not contain a port; set port instead");
  }
  out.host = *host;
  out.port =
      static_cast<uint16_t>(intField(settings, "port", kDefaultPort, 1, 65535, "an integer from 1 to 65535"));
}

void parseTls(const json& settings, MqttSettings& out) {
  out.tls = boolField(settings, "tls", false);
  out.tls_insecure = boolField(settings, "tls_insecure", false);
  out.ca_file = stringField(settings, "ca_file");
  if (!out.tls && out.tls_insecure) {
    invalid("/tls_insecure needs tls: true");
  }
  if (out.ca_file) {
    if (!out.tls) {
      invalid("/ca_file needs tls: true");
    }
    if (out.tls_insecure) {
      invalid("/ca_file and /tls_insecure exclude each other (tls_insecure ignores every CA)");
    }
    if (out.ca_file->empty() || out.ca_file->size() > 4096) {
      invalid("/ca_file must be a path of 1 to 4096 bytes");
    }
    std::ifstream file(*out.ca_file);
    if (!file) {
      invalid("/ca_file '" + common::text::utf8Snippet(*out.ca_file, 256) + "' cannot be read");
    }
  }
}

void parseLogin(const json& settings, MqttSettings& out) {
  out.username = stringField(settings, "username");
  if (out.username &&
      (out.username->empty() || out.username->size() > 256 || !common::text::isValidUtf8(*out.username) ||
       out.username->find('\0') != std::string::npos)) {
    invalid("/username must be 1 to 256 bytes of UTF-8");
  }
  const json* password = present(settings, "password");
  if (password != nullptr) {
    if (!password->is_string()) {
      invalid(std::string("/password must be a string, got ") + password->type_name());
    }
    const std::string& p = password->get_ref<const std::string&>();
    if (p.empty() || p.size() > 1024) {
      invalid("/password must be 1 to 1024 bytes");
    }
    // MQTT 3.1.1 (3.1.2.9) allows a password only together with a user name.
    if (!out.username) {
      invalid("/password needs /username");
    }
    out.password = p;
  }
}

} // namespace

std::string MqttSettings::serverUri() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return std::string(tls ? "ssl://" : "tcp://") + (ipv6 ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

std::string MqttSettings::where() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string defaultClientId(const std::string& instance_id) {
  std::string id = "bambuddy-" + instance_id;
  std::replace_if(
      id.begin(), id.end(), [](char c) { return !isIdChar(c); }, '_');
  return id.substr(0, 128);
}

std::optional<std::string> topicPrefixProblem(const std::string& prefix) {
  if (prefix.empty() || prefix.size() > 128) {
    return "must be 1 to 128 bytes";
  }
  if (!common::text::isValidUtf8(prefix)) {
    return "must be valid UTF-8";
  }
  if (prefix.find_first_of("+#") != std::string::npos) {
    return "must not contain the MQTT wildcards '+' or '#'";
  }
  if (std::any_of(prefix.begin(), prefix.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; })) {
    return "must not contain control characters";
  }
  if (prefix.front() == '/' || prefix.back() == '/' || prefix.find("//") != std::string::npos) {
    return "must not start or end with '/' or contain empty levels";
  }
  if (prefix.front() == '$') {
    return "must not start with '$' (reserved for the broker)";
  }
  return std::nullopt;
}

MqttSettings parseMqttSettings(const std::string& settings_json, const std::string& instance_id) {
  json settings = common::text::parseJsonObject(settings_json, "invalid_settings", kWhat);
  common::text::rejectUnknownKeys(settings,
                                  {"host", "port", "tls", "ca_file", "tls_insecure", "username", "password",
                                   "client_id", "topic_prefix", "qos", "retain", "discovery",
                                   "discovery_prefix", "allow_control"},
                                  "invalid_settings", kWhat);
  MqttSettings out;
  parseHost(settings, out);
  parseTls(settings, out);
  parseLogin(settings, out);

  std::optional<std::string> client_id = stringField(settings, "client_id");
  if (client_id) {
    if (client_id->empty() || client_id->size() > 128 ||
        !std::all_of(client_id->begin(), client_id->end(), isIdChar)) {
      invalid("/client_id must be 1 to 128 letters, digits, '.', '_' or '-'");
    }
    out.client_id = *client_id;
  } else {
    out.client_id = defaultClientId(instance_id);
  }

  out.topic_prefix = prefixField(settings, "topic_prefix", kDefaultTopicPrefix);
  out.discovery_prefix = prefixField(settings, "discovery_prefix", kDefaultDiscoveryPrefix);
  out.qos = static_cast<int>(intField(settings, "qos", 1, 0, 2, "0, 1 or 2"));
  out.retain = boolField(settings, "retain", false);
  out.discovery = boolField(settings, "discovery", true);
  out.allow_control = boolField(settings, "allow_control", false);
  return out;
}

} // namespace bambuddy::notifier_mqtt
