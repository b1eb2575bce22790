// Notification providers and the router: which providers exist, which event goes where, and the
// REST operations on them. The provider rows (REST-created ones with their settings, YAML-declared
// ones mirrored so they get an id) are kept through the records room (records/instance_records.h,
// docs/adr/0007), shared with the printers; this class adds what is the providers' own, one job
// per file: the providers and their REST (notification_service.cpp), the router
// (notification_router.cpp), provider health (provider_health.cpp), tests and the delivery log
// (delivery_log.cpp). Delivery itself is the DeliveryEngine's.
//
// Router: the outbox's consumer of the event journal (in journal order); for each event it matches the
// enabled providers (event list, printer filter, quiet hours), writes one outbox row per (event, provider) in
// one transaction, and only then hands the new rows to the providers' lanes.
//
// Threading: events arrive on the journal pump's thread, REST calls on HTTP workers, attempt
// outcomes on lane threads, provider tests on the test pool's threads. mutex_ guards the provider map and
// records and is held only for in-memory work and the provider row write; a provider's admin mutex serializes
// REST changes to it (re-creating its plugin instance may wait for an attempt in flight), never the router.
#pragma once

#include "journal/event_journal.h"
#include "notifications/delivery_engine.h"
#include "notifications/outbox_store.h"
#include "notifications/provider.h"
#include "notifications/provider_store.h"
#include "notifications/test_pool.h"
#include "records/instance_records.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace bambuddy {
class Logger;
namespace config {
struct CoreConfig;
}
namespace plugins {
class PluginHost;
}
namespace storage {
class Database;
}
} // namespace bambuddy

namespace bambuddy::notifications {

class TimeZone;

struct NotificationSettings {
  EngineSettings engine;
  int64_t disable_after_failing_ms = int64_t{432000} * 1000; // 0 = never
  int test_threads = 4;   // provider tests sent at once (never on HTTP workers)
  size_t test_queue = 16; // tests waiting for one of those; more are answered 429
};

// From the config's notifications section.
NotificationSettings settingsFromConfig(const config::CoreConfig& config);

class NotificationService : private ProviderHealth {
public:
  NotificationService(storage::Database& db, plugins::PluginHost& plugins, Logger& logger,
                      std::function<int64_t()> clock_ms, NotificationSettings settings);
  ~NotificationService() override; // stop()
  NotificationService(const NotificationService&) = delete;
  NotificationService& operator=(const NotificationService&) = delete;

  // Mirrors the YAML providers (notifier plugin instances of `config`), creates the plugin
  // instances of REST providers, starts delivery. Throws config::ConfigException for YAML
  // providers with problems the schema cannot see (unknown time zone, reserved id).
  // `deliver` false (several server instances, this one not leading): no delivery until
  // setDelivering(true).
  void start(const config::CoreConfig& config, bool deliver = true);
  // Several server instances: only the one holding the farm's lease sends the outbox's deliveries.
  // false stops the workers (attempts in flight finish; what is left stays pending for the next
  // holder), true starts them on what is pending.
  void setDelivering(bool deliver);
  // Where print notifications' images come from (the app: archive thumbnails). Before start().
  void setImageSource(ImageSource source) { engine_.setImageSource(std::move(source)); }
  // Unsubscribes and stops delivery (attempts in flight finish). Plugin instances stay for the
  // plugin host's shutdown.
  void stop();

  // REST (throw NotificationError). Bodies as admitted by the routes' body schemas
  // (api/notification_routes.cpp); the checks here are those a schema cannot state.
  nlohmann::json types() const;
  nlohmann::json events() const;
  nlohmann::json list() const;
  nlohmann::json get(int64_t id) const;
  nlohmann::json create(const nlohmann::json& body);
  nlohmann::json update(int64_t id, const nlohmann::json& body);
  void remove(int64_t id);
  // Queues a test notification on the test threads and returns its delivery row at once (status
  // pending; poll delivery()). ServiceError 429 "tests_busy" when the test threads are all taken.
  nlohmann::json test(int64_t id);
  nlohmann::json delivery(int64_t delivery_id);
  nlohmann::json rotateSecret(int64_t id, const nlohmann::json& body);
  nlohmann::json deliveries(int64_t id, const std::optional<std::string>& status, size_t limit,
                            size_t offset);
  nlohmann::json redeliver(int64_t delivery_id);
  // The message a provider's plugin would send for an event, described by the plugin without
  // sending anything (POST /notifications/preview): {type, event, notification, preview}. The body
  // names a saved provider (provider_id, optionally with settings as edited) or a type with
  // settings; those make a short-lived instance (two at a time). Throws NotificationError (400
  // unknown_event, provider_or_type, invalid_settings, template_error; 404; 422 no_preview; 429
  // previews_busy; 502 bad_preview).
  nlohmann::json preview(const nlohmann::json& body);

  // The router: the notification outbox's journal consumer. Events that arrive before start() are
  // held (up to a bound) and routed by start(). Handing the same entry over twice creates no
  // second delivery. Throws when the outbox rows could not be stored (the journal retries).
  void route(const journal::JournalEntry& event);

  // For tests: one scheduler pass now.
  void scanNow() { engine_.scanNow(); }

  // Several server instances: called after a provider was created, changed, re-keyed or removed
  // here (no lock held), so the other instances reload (reloadProviders). Before the API serves.
  void setChangeListener(std::function<void()> listener) { change_listener_ = std::move(listener); }
  // Several server instances: called after this instance, not delivering, queued a delivery (a
  // redelivery) for the instance that delivers, which then calls wakeDelivery(). Before the API serves.
  void setOutboxListener(std::function<void()> listener) { outbox_listener_ = std::move(listener); }
  // Another instance queued a delivery: the scheduler looks at the outbox now (when delivering).
  void wakeDelivery() { engine_.wakeAt(0); }
  // Another instance created, changed or removed providers: the providers here follow the table
  // (new plugin instances on changed settings, removed ones stopped, enabling and disabling as
  // update() does), so the instance that delivers sends what the operator set, wherever it was set.
  void reloadProviders();

  // For GET /metrics: attempts since start per provider and outcome, and each provider's open
  // deliveries (pending or retrying). Thread-safe.
  std::map<std::pair<int64_t, std::string>, uint64_t> attemptCounts() const {
    return engine_.attemptCounts();
  }
  std::map<int64_t, int64_t> outboxDepth() { return outbox_.openCounts(); }

private:
  struct Provider;
  using ProviderPtr = std::shared_ptr<Provider>;

  std::optional<std::string> attemptFinished(int64_t provider_id, int64_t delivery_id, bool delivered,
                                             int http_status, const std::string& error,
                                             int64_t now_ms) override;

  // The YAML providers mirrored into the table; every row, by id. Throws config::ConfigException.
  std::vector<ProviderRecord> mirrorConfigured(const config::CoreConfig& config);
  ProviderPtr adopt(ProviderRecord record); // mutex_ held
  ProviderPtr find(int64_t id) const;
  nlohmann::json providerJson(const Provider& p) const; // mutex_ held
  std::shared_ptr<const TimeZone> zoneFor(const ProviderRouting& routing, const std::string& path);
  ProviderRouting parseRouting(const nlohmann::json& body, const ProviderRouting& current);
  void recreateInstance(Provider& p, const nlohmann::json& settings); // p.admin held
  void persist(const ProviderRecord& record);                         // mutex_ held
  void routeHeld();

  std::atomic<uint64_t> preview_seq_{0}; // names the preview route's short-lived instances
  std::atomic<int> previews_running_{0}; // of those, alive right now
  storage::Database& db_;
  plugins::PluginHost& plugins_;
  Logger& logger_;
  std::function<int64_t()> clock_ms_;
  const NotificationSettings settings_;
  records::InstanceRecords records_; // mirroring, CRUD, secrets and instances of the provider rows
  ProviderStore store_;
  OutboxStore outbox_;
  DeliveryEngine engine_;
  TestPool tests_; // after engine_: stopped and destroyed before it

  mutable std::mutex mutex_;
  std::map<int64_t, ProviderPtr> providers_;
  std::mutex zones_mutex_;
  std::map<std::string, std::shared_ptr<const TimeZone>> zones_;
  bool started_ = false;
  std::function<void()> change_listener_; // several server instances: tell the others
  std::function<void()> outbox_listener_;
  void announceOutbox() const {
    if (outbox_listener_) {
      outbox_listener_();
    }
  }
  void announceChange() const {
    if (change_listener_) {
      change_listener_();
    }
  }
  std::vector<journal::JournalEntry> held_; // events before start()
  uint64_t held_dropped_ = 0;
};

} // namespace bambuddy::notifications
