// The plugin's config block (timing shared by every printer) and one printer's settings.
#pragma once

#include "hms.h"

#include <cstdint>
#include <string>

namespace bambuddy::printer_bambu {

struct DriverConfig {
  int64_t reconnect_min_ms = 1000;
  int64_t reconnect_max_ms = 60000;
  int64_t stale_timeout_ms = 60000;
  int64_t connect_timeout_ms = 10000; // the MQTT library rounds it up to whole seconds
  int64_t keepalive_s = 30;
  int64_t command_timeout_ms = 5000;
  int64_t start_timeout_ms = 30000; // project_file sent -> the printer's answer and PREPARE/RUNNING
  bool keep_failed_uploads = false; // leave the 3MF on the printer after a failed start
  // HMS entries and print_error codes at least this severe are `errors` (the core fires
  // printer_error for them); the less severe ones are `notices`.
  HmsSeverity error_min_severity = HmsSeverity::Serious;
  int64_t ftp_connect_timeout_ms = 10000; // FTPS: TCP + TLS + login of one connection
  int64_t ftp_stall_timeout_ms = 30000;   // FTPS: a transfer that moves no byte for this long fails
};

enum class TlsMode { None, CaFile, Fingerprint };

// How the FTPS data channel is protected. Auto tries Private first and, when the data connection of
// a printer cannot be set up that way, Clear, and then keeps using what worked.
enum class DataProtection { Auto, Private, Clear };

struct PrinterSettings {
  std::string host;
  std::string serial;
  std::string access_code; // secret: never logged, never part of an error message
  int port = 8883;
  TlsMode tls_mode = TlsMode::None;
  std::string ca_file;
  std::string fingerprint_sha256; // 64 lower-case hex digits, colons removed
  int ftp_port = 990;             // implicit FTPS: the printer's storage
  DataProtection ftp_data_protection = DataProtection::Auto;
};

// Both parsers repeat the schema's checks (the host validated already) so a bad value can never
// slip through, and add what a schema cannot say (reconnect_max_ms >= reconnect_min_ms, a host
// that is a real address or name). They throw sdk::Error(BB_ERR_INVALID_ARGUMENT) with reason
// "invalid_config" / "invalid_settings" and a message naming the field, never its secret value.
DriverConfig parseDriverConfig(const std::string& config_json);
PrinterSettings parsePrinterSettings(const std::string& settings_json);

// "ssl://host:port", with IPv6 addresses in brackets.
std::string brokerUri(const PrinterSettings& settings);

} // namespace bambuddy::printer_bambu
