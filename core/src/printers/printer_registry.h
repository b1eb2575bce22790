// The printers the server knows, their live status and the print events derived from it.
//
// Drivers report normalized status over the bus (topic printer_status_reported); the registry keeps
// the latest per printer, runs each printer's lifecycle detector and publishes the resulting events
// (print_started, print_progress, ..., printer_offline) with the payload of the webhook `data`
// object. It also owns the printer records: REST-created printers (settings in the database, one
// driver instance each, created here) and printers declared in YAML (instances created by the
// plugin host, mirrored into the table so they get an id).
//
// Threading: reports arrive on the bus dispatch thread, REST calls on HTTP workers, the debounce
// clock on the registry's own thread. One mutex guards the live state (held only for in-memory
// work); another serializes creating and destroying driver instances against commands to them.
#pragma once

#include "common/service_error.h"
#include "printers/lifecycle_detector.h"
#include "printers/printer_store.h"

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace bambuddy {
class Logger;
namespace bus {
class EventBus;
}
namespace plugins {
class PluginHost;
}
} // namespace bambuddy

namespace bambuddy::printers {

// A printer declared in YAML (plugins.load[].instances of a printer driver).
struct ConfiguredPrinter {
  std::string driver;
  std::string instance_id;
  std::string name;
};

// Errors of registry operations; the routes answer with their status and body.
using PrinterError = ServiceError;

// What a connection check (POST /printers/check) runs: a driver and complete, schema-valid
// settings. `printer_id` is set when stored settings (and their secrets) were filled in.
struct CheckTarget {
  std::string driver;
  nlohmann::json settings;
  std::optional<int64_t> printer_id;
};

// Instance ids of connection checks ("check-" + 16 hex digits): their reports are not a printer's.
bool isCheckInstanceId(const std::string& instance_id);

// Called synchronously for every lifecycle event before it is published; may add fields to `data`
// (archives add archive_id). Must be quick and must not call back into the registry.
using EventEnricher = std::function<void(const std::string& type, int64_t printer_id, nlohmann::json& data)>;

class PrinterRegistry {
public:
  PrinterRegistry(PrinterStore& store, plugins::PluginHost& plugins, bus::EventBus& bus, Logger& logger,
                  std::function<int64_t()> clock_ms, LifecycleSettings settings);
  ~PrinterRegistry(); // stop()

  // Subscribes to status reports. Call before the plugin host creates YAML instances so their
  // first reports are not missed.
  void listen();
  // Mirrors YAML printers into the table, creates the driver instances of REST printers, starts
  // the debounce clock.
  void start(const std::vector<ConfiguredPrinter>& configured);
  // Unsubscribes and stops the clock; driver instances belong to the plugin host's shutdown.
  void stop();

  void setSettings(const LifecycleSettings& settings);
  LifecycleSettings settings() const;
  void addEnricher(EventEnricher enricher);

  std::vector<int64_t> ids() const;
  bool exists(int64_t id) const;
  // GET /printers/{id}/status shape (docs/printers.md, API.md). NotFound when unknown.
  nlohmann::json status(int64_t id) const;
  // Details: record fields, redacted settings, capabilities, status summary.
  nlohmann::json details(int64_t id) const;
  std::string name(int64_t id) const;

  // REST management. `body` as admitted by the route's body schema (api/printer_routes.cpp), which
  // checks keys, types and lengths; the rules here are the ones a schema cannot state (the driver
  // is loaded, the printer exists, settings meet the driver's schema). Throws PrinterError.
  nlohmann::json create(const nlohmann::json& body);
  nlohmann::json update(int64_t id, const nlohmann::json& body);
  void remove(int64_t id);
  // The body of POST /printers/check (that of POST /printers, or {"printer_id": N, "settings": patch}
  // to check a stored printer with changes: unchanged secrets are reused, never returned). Same
  // rules and secret_required refusal as create() and update(); throws PrinterError.
  CheckTarget resolveCheck(const nlohmann::json& body) const;

  // pause | resume | stop | start_print. `command` is the full driver command JSON (with
  // "action"). Returns the driver's result object ({} when none). Throws PrinterError.
  nlohmann::json command(int64_t id, const nlohmann::json& command);

  // Unsupported (with the driver's reason) when the printer's driver cannot start prints.
  void requireStartSupport(int64_t id) const;

  // POST /printers/{id}/plate-cleared: someone confirmed the bed is clear, so the queue may give
  // the printer its next job. Returns the status answer. NotFound when unknown.
  nlohmann::json clearPlate(int64_t id);

  // For tests: process everything due now (the clock thread does this on its own).
  void tick();

private:
  struct Live;
  using InstanceKey = std::pair<std::string, std::string>; // driver, instance id

  void onStatus(const std::string& payload_json);
  void publishEvents(Live& live, std::vector<LifecycleEvent> events); // mutex_ held
  void persistMemory(Live& live);                                     // mutex_ held
  void clockLoop();
  Live& adopt(const PrinterRecord& record); // mutex_ held
  void createDriver(const PrinterRecord& record, Live& live);
  std::string instanceSchema(const std::string& driver) const;
  void requirePrinterDriver(const std::string& driver) const; // invalid_driver when not loaded
  PrinterRecord recordOf(int64_t id) const;                   // NotFound when unknown
  nlohmann::json statusLocked(const Live& live) const;
  // The plate-clear gate of this printer: its own choice, else on unless the driver is simulated.
  static bool requiresPlateClear(const Live& live);
  void saveAwaitingPlateClear(int64_t id, bool awaiting); // logs a failure; never under mutex_
  // A driver call in flight (a file download, say) holds instances_mutex_ shared; stopping the
  // driver before destroying it makes that call return at once instead of delaying the change.
  void stopDriverFirst(const PrinterRecord& record);

  PrinterStore& store_;
  plugins::PluginHost& plugins_;
  bus::EventBus& bus_;
  Logger& logger_;
  std::function<int64_t()> clock_ms_;

  mutable std::mutex mutex_;
  LifecycleSettings settings_;
  std::map<int64_t, std::unique_ptr<Live>> printers_;
  std::map<InstanceKey, int64_t> by_instance_;
  std::map<InstanceKey, nlohmann::json> early_reports_; // reports that came before their printer was mapped
  std::vector<EventEnricher> enrichers_;

  std::shared_mutex instances_mutex_; // exclusive while instances are created/destroyed

  std::condition_variable clock_cv_;
  bool stopping_ = false;
  std::thread clock_;
  uint64_t subscription_ = 0;
};

} // namespace bambuddy::printers
