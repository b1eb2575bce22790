// printer.bambu: one Bambu Lab printer over its LAN MQTT broker (sdk::PrinterDriver).
#pragma once

#include "driver_config.h"
#include "mqtt_session.h"
#include "print_file_fetch.h"
#include "print_starter.h"
#include "storage_transport.h"

#include <bambuddy/sdk.hpp>
#include <bambuddy_plugin_schemas.h>

#include <functional>
#include <memory>
#include <string>

namespace bambuddy::printer_bambu {

class BambuPrinter : public sdk::PrinterDriver {
public:
  static constexpr const char* kName = "printer.bambu";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Bambu Lab printers over LAN MQTT (TLS) and FTPS: live status, HMS errors, pause/resume/stop, "
      "starting prints";
  static constexpr const char* kConfigSchema = plugin::kConfigSchemaJson;
  static constexpr const char* kInstanceSchema = plugin::kInstanceSchemaJson;

  // Validates config and settings (sdk::Error invalid_config / invalid_settings); no network.
  BambuPrinter(sdk::Host host, const std::string& config_json, const std::string& settings_json);
  // The same with another way to reach the printer's storage (tests).
  BambuPrinter(
      sdk::Host host, const std::string& config_json, const std::string& settings_json,
      const std::function<TransportFactory(const PrinterSettings&, const DriverConfig&)>& transports);
  ~BambuPrinter() override; // stop()

  void start() override;
  void stop() override;
  // {"action":"pause"|"resume"|"stop"} -> {"sent":"<action>"}; start_print (start_request.h) ->
  // {"job_id","remote_file"}. A stop while a start runs cancels the start ({"cancelled": job}).
  std::string command(const std::string& command_json) override;
  std::string capabilities() override;

private:
  sdk::Host host_;
  std::unique_ptr<MqttSession> session_;
  std::unique_ptr<PrintStarter> starter_; // after session_: it goes first
  std::unique_ptr<PrintFileFetch> fetcher_;
};

} // namespace bambuddy::printer_bambu
