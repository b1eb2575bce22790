// The printers the server knows, their live status and the print events derived from it.
//
// Drivers' reports reach onReport() through the status intake (in order, none dropped); the registry
// keeps the latest per printer, runs each printer's lifecycle detector and appends the resulting
// events (print_started, print_progress, ..., printer_offline, with the payload of the webhook
// `data` object) to the event journal, in the same transaction as the detector's memory. It calls
// no other service: archives, queue and notifications read the journal (docs/adr/0006). The printer
// rows (REST-created printers and YAML-declared ones mirrored so they get an id) are kept through the
// records room (records/instance_records.h, docs/adr/0007), which does mirroring, CRUD, secrets and
// driver instances for printers and notification providers alike; this class adds what is the
// printers' own: live status, capabilities, the plate-clear gate and commands. One job per file:
// printer_registry.cpp (start-up, reports to the journal), printer_status.cpp (status answers, the
// plate gate, commands), printer_admin.cpp (the records over REST).
//
// Threading: reports arrive on the status intake's thread, REST calls on HTTP workers, the debounce
// clock on the registry's own thread. One mutex guards the live state (held only for in-memory
// work); write_mutex_ keeps journal appends in the order the detectors decided (taken before
// mutex_ is released, never the other way round); another serializes creating and destroying
// driver instances against commands to them.
#pragma once

#include "common/service_error.h"
#include "journal/event_journal.h"
#include "printers/lifecycle_detector.h"
#include "printers/printer_store.h"
#include "records/instance_records.h"

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
namespace config {
struct CoreConfig;
}
namespace plugins {
class PluginHost;
class PluginInstance;
} // namespace plugins
} // namespace bambuddy

namespace bambuddy::printers {

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

class PrinterRegistry {
public:
  PrinterRegistry(PrinterStore& store, plugins::PluginHost& plugins, journal::EventJournal& journal,
                  Logger& logger, std::function<int64_t()> clock_ms, LifecycleSettings settings);
  ~PrinterRegistry(); // stop()

  // One normalized status report of a driver instance (from the status intake, in the order the
  // driver reported). Reports of instances not mapped yet are kept until start() maps them.
  // Returns false when the instance is a connection check's (not a printer's); `status` is then
  // left as it was for the next sink, otherwise it is taken.
  bool onReport(const std::string& driver, const std::string& instance_id, nlohmann::json& status);
  // Mirrors the YAML printers of `config` (instances of printer driver plugins) into the table,
  // creates the driver instances of REST printers, starts the debounce clock. `connect` false
  // (several server instances share the farm): no driver instance is created; take() does.
  void start(const config::CoreConfig& config, bool connect = true);

  // Several server instances (cluster/cluster_coordinator.h). take(): this instance now holds the
  // leases of these printers and connects them, each record read afresh (the detector resumes from
  // the memory the previous holder stored with its last decision). drop(): it lost them; their
  // drivers are destroyed before it returns, so the next holder never overlaps with this one.
  // Printers added or removed on other instances appear and disappear here. Called from one thread
  // (the coordinator's).
  void take(const std::vector<int64_t>& ids);
  void drop(const std::vector<int64_t>& ids);
  // Ids of every stored printer, as the database has them (other instances add printers too).
  std::vector<int64_t> storedIds();
  // Several server instances: asked right after a printer was created through the API, before its
  // driver instance starts; false = this instance may not connect it (the lease is another's), so
  // the printer is stored but left to the holder.
  void setClaim(std::function<bool(int64_t id)> claim);
  // Several server instances: this one's id, before start(). The status answers of printers it
  // connects then carry it as `connected_by`, so every instance tells which one connects a printer.
  void setInstanceId(std::string instance_id) { instance_id_ = std::move(instance_id); }
  // Several server instances: called after a printer was created, changed or removed here (any
  // thread, no lock held), so the other instances reload (reloadRecords).
  void setChangeListener(std::function<void()> listener);
  // Another instance created, changed or removed printers: the entries here follow the table. A
  // printer connected here whose settings changed gets a driver instance on the new settings;
  // printers removed there are disconnected and forgotten; new ones are listed (and connected
  // once this instance takes their lease).
  void reloadRecords();
  // Stops the clock; driver instances belong to the plugin host's shutdown.
  void stop();

  void setSettings(const LifecycleSettings& settings);
  LifecycleSettings settings() const;

  std::vector<int64_t> ids() const;
  bool exists(int64_t id) const;
  // This instance connects the printer (always for a known printer, unless several instances share
  // the farm: then while it holds the printer's lease).
  bool connectsHere(int64_t id) const;
  // The status answers (status() shape) of the printers whose answer may have changed since
  // `cursor` (0 = every printer), in id order; `cursor` moves on to the latest change. For
  // coalesced status feeds (printers/status_feed.h): a printer that changed ten times since the
  // cursor is listed once, with its latest status.
  struct StatusChange {
    int64_t id = 0;
    nlohmann::json status;
    uint64_t seq = 0;  // the change counter when it last changed (compare with a cursor)
    bool local = true; // connected here (several instances: false for printers another connects)
  };
  std::vector<StatusChange> statusChangesSince(uint64_t& cursor) const;
  // GET /printers/{id}/status shape (docs/printers.md, API.md). NotFound when unknown.
  nlohmann::json status(int64_t id) const;
  // Several server instances: the status answers the instances connected to these printers
  // published (cluster/live_status_share.h). Kept for printers not connected here and answered as
  // their status until this instance takes them; others' answers about printers it connects are
  // ignored.
  void applyRemoteStatus(const std::vector<std::pair<int64_t, nlohmann::json>>& answers);
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

  // What one decision of a detector leaves to store, in one transaction.
  struct PendingWrite {
    int64_t printer_id = 0;
    std::optional<nlohmann::json> memory; // the detector's memory, when it changed
    std::optional<bool> awaiting_plate_clear;
    std::vector<journal::JournalEntry> entries;
    bool empty() const { return !memory && !awaiting_plate_clear && entries.empty(); }
  };

  PendingWrite decide(Live& live, std::vector<LifecycleEvent> events); // mutex_ held
  void persist(std::vector<PendingWrite>& writes);                     // write_mutex_ held
  void clockLoop();
  // mutex_ held. Reports that came before the printer was mapped stay in early_reports_ until
  // replayEarly() or the printer's next report applies them, always before that next report.
  Live& adopt(const PrinterRecord& record);
  void replayEarly(const InstanceKey& key);
  // onReport and replayEarly: the early reports of `key` first (if any), then `status` (if any).
  // `status` is taken unless false is returned (then the next status intake sink sees it).
  bool handleReport(const InstanceKey& key, nlohmann::json* status);
  // The driver's capabilities object ({} when it has none or gives no object, logged).
  nlohmann::json capabilitiesOf(const PrinterRecord& record, plugins::PluginInstance* instance) const;
  PrinterRecord recordOf(int64_t id) const; // NotFound when unknown
  nlohmann::json statusLocked(const Live& live) const;
  // mutex_ held: `live`'s status answer may have changed (statusChangesSince lists it).
  void changed(Live& live);
  // The plate-clear gate of this printer: its own choice, else on unless the driver is simulated.
  static bool requiresPlateClear(const Live& live);
  // `lock` holds mutex_; released once the write is in line.
  void saveAwaitingPlateClear(std::unique_lock<std::mutex>& lock, int64_t id, bool awaiting);
  // Creates the driver instance of `record` and records why it did not start, if it did not.
  void startDriver(const PrinterRecord& record);
  // A driver call in flight (a file download, say) holds instances_mutex_ shared; stopping the
  // driver before destroying it makes that call return at once instead of delaying the change.
  void stopDriverFirst(const PrinterRecord& record);

  PrinterStore& store_;
  plugins::PluginHost& plugins_;
  records::InstanceRecords records_; // mirroring, CRUD, secrets and instances of the printer rows
  journal::EventJournal& journal_;
  Logger& logger_;
  std::function<int64_t()> clock_ms_;

  mutable std::mutex mutex_;
  LifecycleSettings settings_;
  std::map<int64_t, std::unique_ptr<Live>> printers_;
  uint64_t change_counter_ = 0;
  std::map<InstanceKey, int64_t> by_instance_;
  // Reports that came before their printer was mapped: every change of state or job, in order.
  std::map<InstanceKey, std::vector<nlohmann::json>> early_reports_;

  std::mutex write_mutex_;
  std::vector<PendingWrite> unsaved_; // failed to store; retried first (write_mutex_)

  std::shared_mutex instances_mutex_;     // exclusive while instances are created/destroyed
  bool connect_all_ = true;               // false: several server instances, take() connects
  std::function<bool(int64_t)> claim_;    // several server instances: may a new printer be connected here
  std::string instance_id_;               // several server instances: this one's id (else "")
  std::function<void()> change_listener_; // several server instances: tell the others
  void announceChange() const {
    if (change_listener_) {
      change_listener_();
    }
  }

  std::condition_variable clock_cv_;
  bool stopping_ = false;
  std::thread clock_;
};

} // namespace bambuddy::printers
