#include "bambu_printer.h"

#include "command_rules.h"

namespace bambuddy::printer_bambu {

BambuPrinter::BambuPrinter(sdk::Host host, const std::string& config_json, const std::string& settings_json)
    : host_(std::move(host)) {
  DriverConfig config = parseDriverConfig(config_json);
  PrinterSettings settings = parsePrinterSettings(settings_json);
  const char* tls = settings.tls_mode == TlsMode::CaFile        ? "chain checked against tls.ca_file"
                    : settings.tls_mode == TlsMode::Fingerprint ? "certificate pinned by SHA-256"
                                                                : "certificate not verified";
  host_.info("printer " + settings.serial + " at " + brokerUri(settings) + " (TLS " + tls + ")");
  session_ = std::make_unique<MqttSession>(host_, config, std::move(settings));
}

BambuPrinter::~BambuPrinter() = default;

void BambuPrinter::start() {
  session_->start();
}

void BambuPrinter::stop() {
  session_->stop();
}

std::string BambuPrinter::command(const std::string& command_json) {
  PrintAction action = parseCommand(command_json);
  session_->sendPrintCommand(action);
  return std::string("{\"sent\":\"") + actionName(action) + "\"}";
}

std::string BambuPrinter::capabilities() {
  return capabilitiesJson();
}

} // namespace bambuddy::printer_bambu
