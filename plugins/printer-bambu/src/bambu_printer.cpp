#include "bambu_printer.h"

#include "command_rules.h"
#include "print_file_fetch.h"
#include "start_request.h"

#include <nlohmann/json.hpp>

namespace bambuddy::printer_bambu {

BambuPrinter::BambuPrinter(sdk::Host host, const std::string& config_json, const std::string& settings_json)
    : BambuPrinter(std::move(host), config_json, settings_json, &ftpsTransportFactory) {}

BambuPrinter::BambuPrinter(
    sdk::Host host, const std::string& config_json, const std::string& settings_json,
    const std::function<TransportFactory(const PrinterSettings&, const DriverConfig&)>& transports)
    : host_(std::move(host)) {
  DriverConfig config = parseDriverConfig(config_json);
  PrinterSettings settings = parsePrinterSettings(settings_json);
  const char* tls = settings.tls_mode == TlsMode::CaFile        ? "chain checked against tls.ca_file"
                    : settings.tls_mode == TlsMode::Fingerprint ? "certificate pinned by SHA-256"
                                                                : "certificate not verified";
  host_.info("printer " + settings.serial + " at " + brokerUri(settings) + " (TLS " + tls + ")");
  TransportFactory factory = transports(settings, config);
  const std::string serial = settings.serial;
  fetcher_ = std::make_unique<PrintFileFetch>(factory, "printer " + serial + " (" + settings.host + ")");
  session_ = std::make_unique<MqttSession>(host_, config, std::move(settings));
  starter_ = std::make_unique<PrintStarter>(host_, config, serial, *session_, std::move(factory));
}

BambuPrinter::~BambuPrinter() {
  stop();
}

void BambuPrinter::start() {
  fetcher_->resume();
  starter_->resume();
  session_->start();
}

void BambuPrinter::stop() {
  fetcher_->cancel();   // a download in flight for the core's archive ends now
  starter_->shutdown(); // cancels and joins a running start before the session goes quiet
  session_->stop();
}

std::string BambuPrinter::command(const std::string& command_json) {
  PrintAction action = parseCommand(command_json);
  if (action == PrintAction::StartPrint) {
    return starter_->start(parseStartPrint(nlohmann::json::parse(command_json)));
  }
  if (action == PrintAction::FetchPrintFile) {
    return fetcher_->fetch(parseFetchRequest(command_json));
  }
  if (starter_->active()) {
    if (action == PrintAction::Stop && starter_->cancel()) {
      return R"({"sent":"stop","cancelled":"start_print"})";
    }
    if (action != PrintAction::Stop) {
      throw sdk::Error(BB_ERR_CONFLICT, "start_running",
                       std::string("cannot ") + actionName(action) +
                           " while a print is being started (uploading); stop cancels the start");
    }
  }
  session_->sendPrintCommand(action);
  return std::string("{\"sent\":\"") + actionName(action) + "\"}";
}

std::string BambuPrinter::capabilities() {
  return capabilitiesJson();
}

} // namespace bambuddy::printer_bambu
