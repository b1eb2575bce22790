#include "driver_config.h"

#include <bambuddy/sdk.hpp>

#include <nlohmann/json.hpp>

#include <arpa/inet.h>

#include <cctype>

namespace bambuddy::printer_bambu {
namespace {

using nlohmann::json;

[[noreturn]] void badConfig(const std::string& message) {
  throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_config", "printer.bambu config: " + message);
}

[[noreturn]] void badSettings(const std::string& message) {
  throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_settings", "printer.bambu settings: " + message);
}

int64_t integerIn(const json& v, const std::string& field, int64_t min, int64_t max) {
  if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > max) {
    badConfig("/" + field + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return v.get<int64_t>();
}

// Field names in messages are cut so a hostile key cannot flood the log.
std::string shortName(const std::string& name) {
  return name.size() > 64 ? name.substr(0, 64) + "..." : name;
}

bool isIpAddress(const std::string& host) {
  unsigned char buf[sizeof(struct in6_addr)];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens, 1..63 bytes each.
bool isHostName(const std::string& host) {
  std::string name = !host.empty() && host.back() == '.' ? host.substr(0, host.size() - 1) : host;
  if (name.empty() || name.size() > 253) {
    return false;
  }
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('.', start);
    if (end == std::string::npos) {
      end = name.size();
    }
    size_t len = end - start;
    if (len == 0 || len > 63 || name[start] == '-' || name[end - 1] == '-') {
      return false;
    }
    for (size_t i = start; i < end; ++i) {
      if (!std::isalnum(static_cast<unsigned char>(name[i])) && name[i] != '-') {
        return false;
      }
    }
    start = end + 1;
  }
  // All-numeric names such as 192.168.1.300 are typos of addresses, not host names.
  return name.find_first_not_of("0123456789.") != std::string::npos;
}

std::string requiredString(const json& doc, const char* field) {
  auto it = doc.find(field);
  if (it == doc.end()) {
    badSettings(std::string("/") + field + " is required");
  }
  if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
    badSettings(std::string("/") + field + " must be a non-empty string");
  }
  return it->get<std::string>();
}

std::string normalizeFingerprint(const std::string& text) {
  std::string hex;
  for (char c : text) {
    if (c != ':') {
      hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  bool colons_ok = text.find(':') == std::string::npos || text.size() == 95;
  if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string::npos || !colons_ok) {
    badSettings("/tls/fingerprint_sha256 must be 64 hex digits, optionally in colon-separated pairs");
  }
  if (text.size() == 95) {
    for (size_t i = 2; i < text.size(); i += 3) {
      if (text[i] != ':') {
        badSettings("/tls/fingerprint_sha256 must be 64 hex digits, optionally in colon-separated pairs");
      }
    }
  }
  return hex;
}

void parseTls(const json& tls, PrinterSettings& s) {
  if (!tls.is_object()) {
    badSettings("/tls must be an object");
  }
  for (const auto& [field, v] : tls.items()) {
    if (field == "ca_file") {
      if (!v.is_string() || v.get_ref<const std::string&>().empty() ||
          v.get_ref<const std::string&>().size() > 4096 ||
          v.get_ref<const std::string&>().find('\0') != std::string::npos) {
        badSettings("/tls/ca_file must be a non-empty path");
      }
      s.ca_file = v.get<std::string>();
    } else if (field == "fingerprint_sha256") {
      if (!v.is_string()) {
        badSettings("/tls/fingerprint_sha256 must be a string");
      }
      s.fingerprint_sha256 = normalizeFingerprint(v.get<std::string>());
    } else {
      badSettings("/tls: unknown field '" + shortName(field) + "'; expected ca_file or fingerprint_sha256");
    }
  }
  if (!s.ca_file.empty() && !s.fingerprint_sha256.empty()) {
    badSettings("/tls: give ca_file or fingerprint_sha256, not both");
  }
  s.tls_mode = !s.ca_file.empty()              ? TlsMode::CaFile
               : !s.fingerprint_sha256.empty() ? TlsMode::Fingerprint
                                               : TlsMode::None;
}

} // namespace

DriverConfig parseDriverConfig(const std::string& config_json) {
  json doc = json::parse(config_json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    badConfig("must be a JSON object");
  }
  DriverConfig c;
  for (const auto& [field, v] : doc.items()) {
    if (field == "reconnect_min_ms") {
      c.reconnect_min_ms = integerIn(v, field, 10, 3600000);
    } else if (field == "reconnect_max_ms") {
      c.reconnect_max_ms = integerIn(v, field, 10, 3600000);
    } else if (field == "stale_timeout_ms") {
      c.stale_timeout_ms = integerIn(v, field, 100, 3600000);
    } else if (field == "connect_timeout_ms") {
      c.connect_timeout_ms = integerIn(v, field, 1000, 120000);
    } else if (field == "keepalive_s") {
      c.keepalive_s = integerIn(v, field, 1, 3600);
    } else if (field == "command_timeout_ms") {
      c.command_timeout_ms = integerIn(v, field, 100, 60000);
    } else if (field == "start_timeout_ms") {
      c.start_timeout_ms = integerIn(v, field, 100, 600000);
    } else if (field == "keep_failed_uploads") {
      if (!v.is_boolean()) {
        badConfig("/keep_failed_uploads must be true or false");
      }
      c.keep_failed_uploads = v.get<bool>();
    } else if (field == "error_min_severity") {
      std::optional<HmsSeverity> level = v.is_string() ? parseSeverity(v.get<std::string>()) : std::nullopt;
      if (!level) {
        badConfig("/error_min_severity must be one of fatal, serious, common, info");
      }
      c.error_min_severity = *level;
    } else if (field == "ftp_connect_timeout_ms") {
      c.ftp_connect_timeout_ms = integerIn(v, field, 100, 120000);
    } else if (field == "ftp_stall_timeout_ms") {
      c.ftp_stall_timeout_ms = integerIn(v, field, 1000, 600000);
    } else {
      badConfig("unknown field '" + shortName(field) +
                "'; expected reconnect_min_ms, reconnect_max_ms, stale_timeout_ms, connect_timeout_ms, "
                "keepalive_s, command_timeout_ms, start_timeout_ms, keep_failed_uploads, error_min_severity, "
                "ftp_connect_timeout_ms or ftp_stall_timeout_ms");
    }
  }
  if (c.reconnect_max_ms < c.reconnect_min_ms) {
    badConfig("/reconnect_max_ms (" + std::to_string(c.reconnect_max_ms) +
              ") must be at least reconnect_min_ms (" + std::to_string(c.reconnect_min_ms) + ")");
  }
  return c;
}

PrinterSettings parsePrinterSettings(const std::string& settings_json) {
  json doc = json::parse(settings_json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    badSettings("must be a JSON object");
  }
  for (const auto& [field, v] : doc.items()) {
    (void)v;
    if (field != "host" && field != "serial" && field != "access_code" && field != "port" && field != "tls" &&
        field != "ftp_port" && field != "ftp_data_protection") {
      badSettings("unknown field '" + shortName(field) +
                  "'; expected host, serial, access_code, port, tls, ftp_port or ftp_data_protection");
    }
  }
  PrinterSettings s;
  s.host = requiredString(doc, "host");
  if (s.host.size() > 253 || (!isIpAddress(s.host) && !isHostName(s.host))) {
    badSettings("/host must be an IPv4 or IPv6 address or a host name (no port, no brackets), got '" +
                shortName(s.host) + "'");
  }
  s.serial = requiredString(doc, "serial");
  if (s.serial.size() > 64) {
    badSettings("/serial must be at most 64 characters");
  }
  for (char c : s.serial) {
    // The serial is part of MQTT topic names: '/', '+', '#' and spaces would change their meaning.
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
      badSettings("/serial may hold only letters, digits, '_' and '-'");
    }
  }
  auto code = doc.find("access_code");
  if (code == doc.end()) {
    badSettings("/access_code is required");
  }
  if (!code->is_string() || code->get_ref<const std::string&>().empty() ||
      code->get_ref<const std::string&>().size() > 64) {
    badSettings("/access_code must be a string of 1 to 64 characters");
  }
  for (char c : code->get_ref<const std::string&>()) {
    if (c < '!' || c > '~') {
      badSettings("/access_code may hold only printable ASCII characters without spaces");
    }
  }
  s.access_code = code->get<std::string>();
  if (auto port = doc.find("port"); port != doc.end()) {
    if (!port->is_number_integer() || port->get<int64_t>() < 1 || port->get<int64_t>() > 65535) {
      badSettings("/port must be an integer from 1 to 65535");
    }
    s.port = port->get<int>();
  }
  if (auto tls = doc.find("tls"); tls != doc.end()) {
    parseTls(*tls, s);
  }
  if (auto port = doc.find("ftp_port"); port != doc.end()) {
    if (!port->is_number_integer() || port->get<int64_t>() < 1 || port->get<int64_t>() > 65535) {
      badSettings("/ftp_port must be an integer from 1 to 65535");
    }
    s.ftp_port = port->get<int>();
  }
  if (auto protection = doc.find("ftp_data_protection"); protection != doc.end()) {
    const std::string text = protection->is_string() ? protection->get<std::string>() : std::string();
    if (text == "auto") {
      s.ftp_data_protection = DataProtection::Auto;
    } else if (text == "private") {
      s.ftp_data_protection = DataProtection::Private;
    } else if (text == "clear") {
      s.ftp_data_protection = DataProtection::Clear;
    } else {
      badSettings("/ftp_data_protection must be \"auto\", \"private\" or \"clear\"");
    }
  }
  return s;
}

std::string brokerUri(const PrinterSettings& settings) {
  bool v6 = settings.host.find(':') != std::string::npos;
  return "ssl://" + (v6 ? "[" + settings.host + "]" : settings.host) + ":" + std::to_string(settings.port);
}

} // namespace bambuddy::printer_bambu
