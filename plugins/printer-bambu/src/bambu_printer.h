// printer.bambu: one Bambu Lab printer over its LAN MQTT broker (sdk::PrinterDriver).
#pragma once

#include "driver_config.h"
#include "mqtt_session.h"

#include <bambuddy/sdk.hpp>
#include <bambuddy_plugin_schemas.h>

#include <memory>
#include <string>

namespace bambuddy::printer_bambu {

class BambuPrinter : public sdk::PrinterDriver {
public:
  static constexpr const char* kName = "printer.bambu";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Bambu Lab printers over LAN MQTT (TLS): live status, HMS errors, pause/resume/stop";
  static constexpr const char* kConfigSchema = plugin::kConfigSchemaJson;
  static constexpr const char* kInstanceSchema = plugin::kInstanceSchemaJson;

  // Validates config and settings (sdk::Error invalid_config / invalid_settings); no network.
  BambuPrinter(sdk::Host host, const std::string& config_json, const std::string& settings_json);
  ~BambuPrinter() override;

  void start() override;
  void stop() override;
  // {"action":"pause"|"resume"|"stop"}; start_print and anything else: BB_ERR_UNSUPPORTED.
  std::string command(const std::string& command_json) override;
  std::string capabilities() override;

private:
  sdk::Host host_;
  std::unique_ptr<MqttSession> session_;
};

} // namespace bambuddy::printer_bambu
