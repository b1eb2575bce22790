#include "app/app.h"
#include "app/archive_images.h"
#include "app/upload_dir.h"

#include "app/data_dir.h"

#include "api/archive_routes.h"
#include "api/audit_routes.h"
#include "api/json_body.h"
#include "api/metrics_routes.h"
#include "api/notification_routes.h"
#include "api/openapi.h"
#include "api/printer_operations.h"
#include "api/printer_routes.h"
#include "api/queue_routes.h"
#include "api/route_helpers.h"
#include "api/settings_routes.h"
#include "api/stream_routes.h"
#include "api/system_routes.h"
#include "api/web_routes.h"
#include "archives/archive_service.h"
#include "archives/statistics.h"
#include "auth/audit_log.h"
#include "auth/auth_gate.h"
#include "auth/stream_tokens.h"
#include "bus/event_bus.h"
#include "cluster/change_feed.h"
#include "cluster/cluster_coordinator.h"
#include "cluster/cluster_store.h"
#include "cluster/command_relay.h"
#include "cluster/live_status_share.h"
#include "common/logger.h"
#include "common/time.h"
#include "http/http_server.h"
#include "http/router.h"
#include "journal/event_journal.h"
#include "journal/journal_pump.h"
#include "metrics/http_metrics.h"
#include "notifications/notification_service.h"
#include "plugins/plugin_host.h"
#include "printers/connection_checks.h"
#include "printers/printer_registry.h"
#include "printers/printer_store.h"
#include "printers/status_feed.h"
#include "printers/status_intake.h"
#include "printing/print_file_fetcher.h"
#include "printing/print_starter.h"
#include "queue/queue_service.h"
#include "settings/settings_service.h"
#include "storage/database.h"
#include "storage/kv_store.h"
#include "storage/migrations.h"
#include "stream/stream_hub.h"
#include "web/static_site.h"

#include <algorithm>
#include <filesystem>

namespace bambuddy::app {

// Members are declared in start order; they are torn down explicitly in reverse order by stop().
struct App::Services {
  std::unique_ptr<storage::Database> database;
  std::unique_ptr<storage::KvStore> kv;
  std::unique_ptr<bus::EventBus> bus;
  std::unique_ptr<journal::EventJournal> journal;
  std::unique_ptr<journal::JournalPump> pump;
  std::unique_ptr<printers::StatusIntake> intake;
  std::unique_ptr<settings::SettingsService> settings;
  std::unique_ptr<auth::AuditLog> audit;
  std::unique_ptr<plugins::PluginHost> plugins;
  std::unique_ptr<printers::PrinterStore> printer_store;
  std::unique_ptr<printers::PrinterRegistry> printers;
  std::unique_ptr<printers::ConnectionChecks> printer_checks;
  std::unique_ptr<printers::StatusFeed> status_feed;
  std::unique_ptr<archives::ArchiveStore> archive_store;
  std::unique_ptr<archives::ArchiveService> archives;
  std::unique_ptr<printing::PrintStarter> print_starter;
  std::unique_ptr<printing::PrintFileFetcher> print_files;
  std::unique_ptr<queue::QueueStore> queue_store;
  std::unique_ptr<queue::QueueService> queue;
  std::unique_ptr<notifications::NotificationService> notifications;
  std::unique_ptr<stream::StreamHub> stream_hub;
  std::unique_ptr<auth::StreamTokens> stream_tokens;
  std::unique_ptr<auth::AuthGate> gate;
  std::unique_ptr<http::Router> router;
  // Before http: the server's observer writes into it until the server is destroyed.
  std::unique_ptr<metrics::HttpMetrics> http_metrics;
  std::unique_ptr<http::HttpServer> http;
  // Several server instances on one PostgreSQL database (cluster.enabled); null otherwise.
  std::string instance_id;
  std::unique_ptr<cluster::ChangeFeed> changes; // made with the kv store, started with the coordinator
  std::unique_ptr<cluster::ClusterStore> cluster_store;
  std::unique_ptr<cluster::ClusterCoordinator> coordinator;
  std::unique_ptr<cluster::LiveStatusShare> live_status; // started with the coordinator
  std::unique_ptr<cluster::CommandRelay> command_relay;  // started with the coordinator
};

namespace {

// The built UI is a few hundred KiB; anything near this bound is not a web UI build.
constexpr int64_t kMaxWebUiBytes = 64LL * 1024 * 1024;
// Status snapshots reach the bus and the event stream at most this often per printer.
constexpr int64_t kStatusFeedIntervalMs = 1000;
// Several server instances: how long a relayed printer command may take (a print start uploads
// the file first), answered 503/504 past it.
constexpr int64_t kRelayTimeoutMs = 15000;
constexpr int64_t kRelayedStartTimeoutMs = 120000;
// Several server instances: how often an instance's own journal consumers (event stream, bus) look
// for what the leading instance appended; other instances' appends wake nothing here.
constexpr int64_t kSharedJournalPollMs = 100;
// The lease of the farm's work: the instance that holds it connects the printers (a lease each)
// and runs the journal's farm consumers, the queue and the notification deliveries.
constexpr const char* kFarmLease = "farm";
constexpr const char* kPrinterLeasePrefix = "printer/";
// Change feed topics (cluster/change_feed.h).
constexpr const char* kKvTopicPrefix = "kv:";
constexpr const char* kPrintersTopic = "printers";
constexpr const char* kProvidersTopic = "providers";
constexpr const char* kOutboxTopic = "outbox"; // a delivery queued where nobody delivers

// Plugins that subscribe to printer_status / printer_removed get them from the status feed.
printers::StatusListener busStatusListener(bus::EventBus& bus) {
  printers::StatusListener listener;
  listener.wanted = [&bus] {
    return bus.hasSubscribers(bus::topics::kPrinterStatus.name) ||
           bus.hasSubscribers(bus::topics::kPrinterRemoved.name);
  };
  listener.deliver = [&bus](const std::vector<printers::PrinterRegistry::StatusChange>& changed,
                            const std::vector<int64_t>& removed) {
    for (const auto& change : changed) {
      nlohmann::json payload = {{"printer_id", change.id}, {"status", change.status}};
      bus.publish(bus::topics::kPrinterStatus,
                  payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    for (int64_t id : removed) {
      bus.publish(bus::topics::kPrinterRemoved, nlohmann::json{{"printer_id", id}}.dump());
    }
  };
  return listener;
}

// The journal's consumers, in the order they see each event: the archives first (they add
// archive_id), then the queue (it reads the print record), then the notification outbox, then the
// event stream (its clients see what webhooks get), then the bus for plugins that subscribe to
// events (a best-effort copy: the bus may drop under load). `shared`: several server instances,
// whose event streams and buses read the stored journal, so every print event's archive_id is stored.
std::unique_ptr<journal::JournalPump>
journalPump(journal::EventJournal& journal, archives::ArchiveService& archives, queue::QueueService& queue,
            notifications::NotificationService& notifications, stream::StreamHub& stream_hub,
            bus::EventBus& bus, Logger& logger, bool shared) {
  auto pump = std::make_unique<journal::JournalPump>(journal, logger);
  pump->addConsumer(
      {"archives", [&, shared](journal::JournalEntry& entry) {
         if (entry.printer_id <= 0) {
           return;
         }
         nlohmann::json data = nlohmann::json::parse(entry.payload_json, nullptr, false);
         if (!data.is_object()) {
           return;
         }
         // Stored for the events a repeat needs it for (the record a start opened,
         // the record an end closes); progress and pause events find their open
         // record again, so the consumers behind see the field without a write. With
         // several instances the others' streams read the stored payload: all stored.
         const bool store = shared || entry.type == "print_started" || entry.type == "print_complete" ||
                            entry.type == "print_failed" || entry.type == "print_cancelled";
         auto save = [&](const nlohmann::json& now) {
           entry.payload_json = now.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
           if (store) {
             journal.updatePayload(entry.seq, entry.payload_json);
           }
         };
         archives.onEvent(entry.event_id, entry.type, entry.printer_id, data, save);
         std::string after = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
         if (after != entry.payload_json) {
           save(data); // fields added after the record was written (filament_used)
         }
       }});
  pump->addConsumer({"queue", [&](journal::JournalEntry& entry) {
                       if (entry.type != "print_started" && entry.type != "print_complete" &&
                           entry.type != "print_failed" && entry.type != "print_cancelled") {
                         return;
                       }
                       nlohmann::json data = nlohmann::json::parse(entry.payload_json, nullptr, false);
                       if (!data.is_object() || !data.contains("archive_id") ||
                           !data["archive_id"].is_number_integer()) {
                         return;
                       }
                       archives::ArchiveRecord record;
                       try {
                         record = archives.get(data["archive_id"].get<int64_t>());
                       } catch (const archives::ArchiveError&) {
                         return; // deleted meanwhile
                       }
                       queue.onPrintEvent(entry.type, record);
                     }});
  pump->addConsumer({"notifications", [&](journal::JournalEntry& entry) { notifications.route(entry); }});
  // The stream and the bus serve this instance's own clients and plugins: every instance runs them.
  pump->addConsumer({"stream", [&](journal::JournalEntry& entry) { stream_hub.publish(entry); }, false});
  pump->addConsumer({"bus",
                     [&](journal::JournalEntry& entry) {
                       bus::Event event;
                       event.id = entry.event_id;
                       event.type = entry.type;
                       event.timestamp_ms = entry.timestamp_ms;
                       event.payload_json = entry.payload_json;
                       event.payload_version = entry.payload_version;
                       bus.publish(std::move(event));
                     },
                     false});
  return pump;
}

} // namespace

App::App(const config::CoreConfig& config, Logger& logger)
    : config_(config), logger_(logger), services_(std::make_unique<Services>()) {}

App::~App() {
  stop();
}

void App::start() {
  const int64_t started_ms = monotonicMs();
  try {
    prepareDataDir(config_.data_dir, logger_);
    auto& s = *services_;

    storage::DatabaseOptions db_options;
    db_options.path = config_.database.path;
    db_options.url = config_.database.url;
    db_options.pool_size = config_.database.pool_size;
    db_options.busy_timeout_ms = config_.database.busy_timeout_ms;
    s.database = std::make_unique<storage::Database>(db_options, logger_);
    storage::migrate(*s.database, storage::coreMigrations(), logger_);
    s.kv = std::make_unique<storage::KvStore>(*s.database);
    if (config_.cluster.enabled) {
      // Before anything writes to the kv store: every write tells the other instances.
      s.instance_id = cluster::makeInstanceId(cluster::hostName());
      s.changes = std::make_unique<cluster::ChangeFeed>(config_.database.url, s.instance_id, logger_);
      s.kv->setWriteListener([&s](const std::string& ns) { s.changes->publish(kKvTopicPrefix + ns); });
    }

    s.bus =
        std::make_unique<bus::EventBus>(logger_, config_.bus.queue_capacity, config_.bus.dispatch_threads);
    s.bus->start();
    settings::Settings defaults;
    defaults.progress_milestones = config_.printers.progress_milestones;
    defaults.offline_debounce_s = static_cast<double>(config_.printers.offline_debounce_ms) / 1000.0;
    defaults.rate_limit_read = config_.auth.read_limit;
    defaults.rate_limit_write = config_.auth.write_limit;
    defaults.rate_limit_control = config_.auth.control_limit;
    s.settings = std::make_unique<settings::SettingsService>(*s.kv, logger_, defaults);
    s.audit = std::make_unique<auth::AuditLog>(*s.database, *s.bus, logger_,
                                               int64_t{config_.audit.retention_days} * 24 * 3600 * 1000);

    // The router exists before plugins load: plugins register their routes while being created.
    s.router = std::make_unique<http::Router>();
    s.journal = std::make_unique<journal::EventJournal>(*s.database);
    s.intake = std::make_unique<printers::StatusIntake>(logger_, s.bus.get());
    plugins::HostServices host_services{
        logger_, *s.bus, *s.kv, config_.data_dir, [] { return nowUtcMs(); }, s.router.get()};
    host_services.body_check = [](nlohmann::json schema,
                                  bool required) -> std::shared_ptr<const http::BodyCheck> {
      return api::JsonBodySchema::make(std::move(schema), required);
    };
    host_services.report_status = [&s](const std::string& plugin, const std::string& instance,
                                       nlohmann::json status) {
      return s.intake->push(plugin, instance, std::move(status));
    };
    // Plugins' pause/resume/stop (ABI 0.5). The registry is made below, before any plugin loads,
    // and goes after every instance is destroyed; the check covers a call in between regardless.
    host_services.printer_command = [&s](int64_t id, const nlohmann::json& command) {
      if (!s.printers) {
        throw printers::PrinterError(printers::PrinterError::Kind::Unavailable, "printers_unavailable",
                                     "the printer registry is not running");
      }
      // Several server instances: a printer another instance connects gets it through the relay.
      const std::string action = command.value("action", "");
      if (s.command_relay && s.printers->exists(id) && !s.printers->connectsHere(id)) {
        cluster::CommandRelay::Answer answer =
            s.command_relay->send(id, action, {{"printers", nullptr}}, kRelayTimeoutMs);
        const nlohmann::json body = nlohmann::json::parse(answer.body, nullptr, false);
        if (answer.status == 200 && body.is_object()) {
          return body.value("result", nlohmann::json::object());
        }
        throw printers::PrinterError(answer.status,
                                     body.is_object() ? body.value("code", "relay_failed") : "relay_failed",
                                     body.is_object() ? body.value("detail", "") : answer.body);
      }
      return s.printers->command(id, command);
    };
    host_services.defer_printer_instances = config_.cluster.enabled; // connected once their lease is ours
    s.plugins = std::make_unique<plugins::PluginHost>(std::move(host_services));
    s.printer_store = std::make_unique<printers::PrinterStore>(*s.database);
    printers::LifecycleSettings lifecycle;
    const settings::Settings current = s.settings->current();
    lifecycle.progress_milestones = current.progress_milestones;
    lifecycle.offline_debounce_ms = static_cast<int64_t>(current.offline_debounce_s * 1000.0);
    s.printers = std::make_unique<printers::PrinterRegistry>(
        *s.printer_store, *s.plugins, *s.journal, logger_, [] { return nowUtcMs(); }, lifecycle);
    s.printer_checks =
        std::make_unique<printers::ConnectionChecks>(*s.plugins, logger_, [] { return nowUtcMs(); });
    s.status_feed = std::make_unique<printers::StatusFeed>(*s.printers, kStatusFeedIntervalMs);
    s.status_feed->addListener(busStatusListener(*s.bus));
    if (config_.cluster.enabled) {
      s.printers->setInstanceId(s.instance_id);
      // Every instance shows every printer's live status, whoever connects it.
      s.live_status = std::make_unique<cluster::LiveStatusShare>(
          *s.database, logger_, s.instance_id, kStatusFeedIntervalMs,
          [&s](const std::vector<std::pair<int64_t, nlohmann::json>>& answers) {
            s.printers->applyRemoteStatus(answers);
          });
      printers::StatusListener share;
      share.wanted = [] { return true; };
      share.deliver = [&s](const std::vector<printers::PrinterRegistry::StatusChange>& changed,
                           const std::vector<int64_t>&) {
        for (const auto& change : changed) {
          if (change.local) {
            s.live_status->offer(change.id, change.status);
          }
        }
      };
      s.status_feed->addListener(std::move(share));
    }
    // Before drivers start, so their first reports are kept (the registry holds reports of
    // printers it has not mapped yet until start()).
    s.intake->addSink([&s](const std::string& driver, const std::string& instance, nlohmann::json& status) {
      return s.printers->onReport(driver, instance, status);
    });
    s.intake->addSink([&s](const std::string& driver, const std::string& instance, nlohmann::json& status) {
      return s.printer_checks->onReport(driver, instance, status);
    });
    s.intake->start();
    s.archive_store = std::make_unique<archives::ArchiveStore>(*s.database);
    s.archives = std::make_unique<archives::ArchiveService>(*s.archive_store, *s.plugins, logger_,
                                                            [] { return nowUtcMs(); });
    s.print_starter = std::make_unique<printing::PrintStarter>(*s.printers, *s.archives, logger_);
    printing::FetchOptions fetch;
    fetch.temp_dir = config_.data_dir + "/tmp";
    fetch.max_file_bytes = static_cast<uint64_t>(config_.archives.max_upload_bytes);
    fetch.enabled = [&s] { return s.settings->current().auto_archive; };
    s.print_files = std::make_unique<printing::PrintFileFetcher>(*s.printers, *s.archives, logger_, fetch);
    s.archives->addPrintListener([&s](const std::string& type, const archives::ArchiveRecord& record) {
      s.print_files->onPrint(type, record);
    });
    s.print_files->start();
    s.queue_store = std::make_unique<queue::QueueStore>(*s.database);
    s.queue =
        std::make_unique<queue::QueueService>(*s.queue_store, *s.archives, *s.printers, *s.print_starter,
                                              *s.journal, logger_, [] { return nowUtcMs(); });
    notifications::NotificationSettings notification_settings = notifications::settingsFromConfig(config_);
    if (config_.cluster.enabled) {
      // Claims on outbox rows last as long as the farm's lease: a dead instance's deliveries are
      // taken over about when its farm work is.
      notification_settings.engine.owner = s.instance_id;
      notification_settings.engine.claim_ms = config_.cluster.lease_ms;
      notification_settings.engine.exclusive = false;
    }
    s.notifications = std::make_unique<notifications::NotificationService>(
        *s.database, *s.plugins, logger_, [] { return nowUtcMs(); }, std::move(notification_settings));
    s.notifications->setImageSource(archiveImages(*s.archives));
    stream::StreamSettings stream_settings;
    stream_settings.per_key_limit = config_.server.streams_per_key;
    stream_settings.server_limit = config_.server.max_streams;
    stream_settings.max_buffer_bytes = static_cast<size_t>(config_.server.stream_buffer_bytes);
    s.stream_hub = std::make_unique<stream::StreamHub>(
        stream_settings, logger_, [] { return monotonicMs(); }, [] { return nowUtcMs(); });
    s.status_feed->addListener(s.stream_hub->statusListener());
    {
      // What clients connected before a restart may resume from (see StreamHub::seed).
      const int64_t last = s.journal->lastSeq();
      const int64_t keep = static_cast<int64_t>(stream_settings.ring_events);
      s.stream_hub->seed(s.journal->readAfter(std::max<int64_t>(0, last - keep), static_cast<int>(keep)),
                         nowUtcMs());
    }
    s.stream_tokens = std::make_unique<auth::StreamTokens>([] { return monotonicMs(); });
    // A key deleted, changed or rotated ends its streams (auth plugins report key changes on the
    // audit topic; principals of auth.apikey are "key:<id>"): no stream outlives what its key may do.
    s.bus->subscribe(
        "audit_event",
        [&s](const bus::Event& event) {
          nlohmann::json audit = nlohmann::json::parse(event.payload_json, nullptr, false);
          if (!audit.is_object()) {
            return;
          }
          const std::string kind = audit.value("kind", std::string());
          if (kind != "key_deleted" && kind != "key_changed" && kind != "key_rotated") {
            return;
          }
          const nlohmann::json detail = audit.value("detail", nlohmann::json::object());
          if (detail.is_object() && detail.contains("key_id") && detail["key_id"].is_number_integer()) {
            s.stream_hub->endStreamsOf("key:" + std::to_string(detail["key_id"].get<int64_t>()), kind);
          }
        },
        s.stream_hub.get());
    s.pump = journalPump(*s.journal, *s.archives, *s.queue, *s.notifications, *s.stream_hub, *s.bus, logger_,
                         config_.cluster.enabled);
    // Now, before the printers start deciding events: on a fresh data dir the consumers start at
    // the journal's end, and that end must be before this run's first event.
    s.pump->loadCursors();
    // Core routes first: a plugin route that would shadow one is refused when it registers.
    // The instance holding the farm's lease (or running alone) answers /health/farm with 200.
    api::addHealthRoutes(*s.router, [&s] { return !s.coordinator || s.coordinator->holds(kFarmLease); });
    api::addPluginRoutes(*s.router, *s.plugins);
    api::addAuditRoutes(*s.router, *s.audit);
    api::addNotificationRoutes(*s.router, *s.notifications, s.audit.get());
    api::PrinterRouteServices printer_services;
    printer_services.starter = s.print_starter.get();
    printer_services.audit = s.audit.get();
    printer_services.checks = s.printer_checks.get();
    printer_services.plate_cleared = [&s] { s.queue->wake(); };
    if (config_.cluster.enabled) {
      // Print control asked of an instance that does not connect the printer goes to the one that does.
      api::PrinterOperations operations{s.printers.get(), s.print_starter.get(), [&s] { s.queue->wake(); }};
      s.command_relay = std::make_unique<cluster::CommandRelay>(
          *s.database, logger_, s.instance_id,
          [operations](int64_t id, const std::string& kind, const nlohmann::json& request) {
            http::Response answer = api::runPrinterOperation(operations, id, kind, request);
            return cluster::CommandRelay::Answer{answer.status, answer.body};
          },
          [&s](int64_t id) { return s.printers->connectsHere(id); });
      printer_services.relay = [&s](int64_t id, const std::string& kind,
                                    const nlohmann::json& request) -> std::optional<http::Response> {
        if (s.printers->connectsHere(id)) {
          return std::nullopt;
        }
        const int64_t timeout_ms =
            kind == api::operation::kPrintStart ? kRelayedStartTimeoutMs : kRelayTimeoutMs;
        cluster::CommandRelay::Answer answer = s.command_relay->send(id, kind, request, timeout_ms);
        http::Response response;
        response.status = answer.status;
        response.body = std::move(answer.body);
        return response;
      };
    }
    api::addPrinterRoutes(*s.router, *s.printers, std::move(printer_services));
    api::addArchiveRoutes(*s.router, *s.archives, config_.archives.max_upload_bytes);
    api::addStatisticsRoutes(
        *s.router, *s.database, [&s] { return s.archive_store->generation(); },
        [&s] {
          settings::Settings now = s.settings->current();
          return archives::CostSettings{now.filament_cost_per_kg, now.currency};
        });
    api::addQueueRoutes(*s.router, *s.queue, *s.archives);
    api::addOpenApiRoute(*s.router, BAMBUDDY_VERSION);
    api::addSettingsRoutes(*s.router, *s.settings, s.audit.get());
    api::addStreamRoutes(*s.router, *s.stream_hub, *s.stream_tokens);
    s.http_metrics = std::make_unique<metrics::HttpMetrics>();
    api::addMetricsRoute(*s.router, {BAMBUDDY_VERSION, *s.database, *s.printers, *s.queue, *s.notifications,
                                     *s.http_metrics, s.stream_hub.get(), s.pump.get()});
    if (!config_.server.web_root.empty()) {
      auto site = std::make_shared<const web::StaticSite>(
          web::StaticSite::load(config_.server.web_root, kMaxWebUiBytes));
      api::addWebRoutes(*s.router, site);
      logger_.info("app", "web UI: " + std::to_string(site->fileCount()) + " files (" +
                              std::to_string(site->totalBytes() / 1024) + " KiB) from " +
                              config_.server.web_root);
    } else {
      logger_.info("app", "web UI: not built (scripts/build-web), / is not served");
    }

    s.plugins->loadAll(config_);
    const bool solo = !config_.cluster.enabled;
    s.printers->start(config_, solo);
    s.status_feed->start();
    if (solo) {
      s.queue->start();
    }
    s.notifications->start(config_, solo);
    s.stream_hub->start();
    if (!solo) {
      s.pump->setShared(kSharedJournalPollMs);
    }
    s.pump->start(); // catches up on what an earlier run left unhandled, then follows the journal

    auth::AuthSettings auth_settings;
    auth_settings.read_limit = config_.auth.read_limit;
    auth_settings.write_limit = config_.auth.write_limit;
    auth_settings.control_limit = config_.auth.control_limit;
    auth_settings.failed_auth_per_minute = config_.auth.failed_auth_per_minute;
    auth_settings.keyless_per_minute = config_.auth.keyless_per_minute;
    for (const std::string& text : config_.server.trusted_proxies) {
      auth_settings.trusted_proxies.push_back(*sdk::Cidr::parse(text)); // validated when loaded
    }
    s.gate = std::make_unique<auth::AuthGate>(std::move(auth_settings), *s.plugins, s.audit.get(), logger_,
                                              [] { return nowUtcMs(); });
    s.gate->setStreamTokens(s.stream_tokens.get());
    // Changed settings reach the services that use them without a restart.
    s.settings->addListener([&s](const settings::Settings& now) {
      s.gate->setDefaultLimits(now.rate_limit_read, now.rate_limit_write, now.rate_limit_control);
      printers::LifecycleSettings lifecycle;
      lifecycle.progress_milestones = now.progress_milestones;
      lifecycle.offline_debounce_ms = static_cast<int64_t>(now.offline_debounce_s * 1000.0);
      s.printers->setSettings(lifecycle);
    });
    for (const std::string& problem : auth::routeTableProblems(s.router->routes())) {
      logger_.error("app", "route table: " + problem);
    }
    if (!solo) {
      startCluster(s); // after the gate: the instances alive set its share of the rate limits
    }

    http::HttpServerOptions options;
    options.host = config_.server.listen_host;
    options.port = config_.server.listen_port;
    options.threads = config_.server.threads;
    options.worker_threads = config_.server.worker_threads;
    options.max_request_size_bytes = config_.server.max_request_size_bytes;
    options.keepalive_timeout_ms = config_.server.keepalive_timeout_ms;
    options.header_timeout_ms = config_.server.header_timeout_ms;
    options.body_timeout_ms = config_.server.body_timeout_ms;
    options.shutdown_grace_ms = config_.server.shutdown_grace_ms;
    options.upload_paths = {"/api/v1/archives"};
    options.max_upload_size_bytes = config_.archives.max_upload_bytes;
    options.upload_temp_dir = app::prepareUploadDir(config_.data_dir, logger_);
    s.http = std::make_unique<http::HttpServer>(options, *s.router, logger_);
    s.http->setGuard(s.gate->guard());
    s.http->setObserver(s.http_metrics->observer());
    s.http->start();
  } catch (...) {
    stop();
    throw;
  }
  logger_.info("app", "listening on " +
                          std::string(config_.server.listen_host.find(':') != std::string::npos
                                          ? "[" + config_.server.listen_host + "]"
                                          : config_.server.listen_host) +
                          ":" + std::to_string(port()) + " (started in " +
                          std::to_string(monotonicMs() - started_ms) + " ms, data in " + config_.data_dir +
                          ")");
}

std::vector<http::RouteSpec> App::routes() const {
  return services_->router ? services_->router->routes() : std::vector<http::RouteSpec>{};
}

uint16_t App::port() const {
  return services_->http ? services_->http->port() : 0;
}

void App::startCluster(Services& s) {
  s.cluster_store = std::make_unique<cluster::ClusterStore>(*s.database);
  cluster::ClusterSettings settings;
  settings.heartbeat_ms = config_.cluster.heartbeat_ms;
  settings.lease_ms = config_.cluster.lease_ms;
  settings.host = cluster::hostName();
  settings.instance_id = s.instance_id;
  // The printers follow the farm's lease: the instance that runs the queue and the journal also
  // connects every printer, so its commands never have to cross to another instance.
  s.coordinator = std::make_unique<cluster::ClusterCoordinator>(
      *s.cluster_store, logger_, settings, [&s](const std::set<std::string>& held) {
        std::vector<std::string> names{kFarmLease};
        if (held.count(kFarmLease) != 0) {
          for (int64_t id : s.printers->storedIds()) {
            names.push_back(kPrinterLeasePrefix + std::to_string(id));
          }
        }
        return names;
      });
  s.coordinator->addListener([&s](const std::set<std::string>& gained, const std::set<std::string>& lost) {
    auto printerIds = [](const std::set<std::string>& names) {
      std::vector<int64_t> ids;
      const std::string prefix = kPrinterLeasePrefix;
      for (const std::string& name : names) {
        if (name.compare(0, prefix.size(), prefix) == 0) {
          ids.push_back(std::stoll(name.substr(prefix.size())));
        }
      }
      return ids;
    };
    // What was lost stops before anything starts: the next holder never overlaps with this one.
    if (const std::vector<int64_t> dropped = printerIds(lost); !dropped.empty()) {
      s.printers->drop(dropped);
    }
    if (lost.count(kFarmLease) != 0) {
      s.queue->stop();
      s.notifications->setDelivering(false);
      s.pump->setLeading(false);
    }
    if (gained.count(kFarmLease) != 0) {
      s.pump->setLeading(true);
      s.notifications->setDelivering(true);
      s.queue->start();
    }
    if (const std::vector<int64_t> taken = printerIds(gained); !taken.empty()) {
      s.printers->take(taken);
    }
  });
  // Rate limits: each instance's share, over the instances that answer the API (docs/adr/0009).
  s.coordinator->setTrafficListener(
      [&s] { return s.gate->takeServed(); },
      [&s](size_t serving) { s.gate->setInstanceShare(static_cast<uint32_t>(serving)); });
  // A printer added through the API: connected here at once if this instance leads (it takes the
  // lease now), else left to the leader's next round.
  s.printers->setClaim([&s](int64_t id) {
    if (!s.coordinator->holds(kFarmLease)) {
      return false;
    }
    return s.coordinator->acquireNow(kPrinterLeasePrefix + std::to_string(id));
  });
  // What other instances change through their API reaches this one's services.
  s.changes->subscribe(kKvTopicPrefix, [&s](const std::string& topic) {
    std::string ns = topic.substr(std::string(kKvTopicPrefix).size());
    if (ns.empty()) {
      ns = "*"; // a resync after the feed's connection came back: every namespace
    }
    if (ns == "*" || ns == "core") {
      s.settings->reload();
    }
    // Plugins that keep kv documents in memory (auth.apikey's keys) reload theirs.
    s.bus->publish(bus::topics::kKvChanged, nlohmann::json{{"namespace", ns}}.dump());
  });
  s.changes->subscribe(kPrintersTopic, [&s](const std::string&) {
    s.printers->reloadRecords();
    s.coordinator->poke(); // a new printer's lease, at once
  });
  s.printers->setChangeListener([&s] { s.changes->publish(kPrintersTopic); });
  s.changes->subscribe(kProvidersTopic, [&s](const std::string&) { s.notifications->reloadProviders(); });
  s.notifications->setChangeListener([&s] { s.changes->publish(kProvidersTopic); });
  s.changes->subscribe(kOutboxTopic, [&s](const std::string&) { s.notifications->wakeDelivery(); });
  s.notifications->setOutboxListener([&s] { s.changes->publish(kOutboxTopic); });
  s.command_relay->setPublisher([&s](const std::string& topic) { s.changes->publish(topic); });
  s.changes->subscribe(cluster::CommandRelay::kRequestsTopic,
                       [&s](const std::string&) { s.command_relay->requested(); });
  s.changes->subscribe(cluster::CommandRelay::kAnswersTopic,
                       [&s](const std::string&) { s.command_relay->answered(); });
  s.changes->start();
  s.command_relay->start();
  s.live_status->start(); // the others' printers' status before this instance serves
  s.coordinator->start();
}

void App::stop() {
  auto& s = *services_;
  if (s.http) {
    s.http->stop();
    s.http.reset();
  }
  if (s.changes) {
    s.changes->stop(); // no reload while the services stop
  }
  if (s.live_status) {
    s.live_status->stop();
  }
  if (s.command_relay) {
    s.command_relay->stop(); // senders waiting on it answer at once; a command being run finishes
  }
  if (s.coordinator) {
    s.coordinator->stop(); // printers, journal, queue and deliveries stop here, then the leases go
    s.coordinator.reset();
  }
  s.cluster_store.reset();
  s.gate.reset();
  s.router.reset();
  if (s.queue) {
    s.queue->stop();
  }
  if (s.printer_checks) {
    s.printer_checks->stop(); // its temporary driver instances go before the plugin host
  }
  if (s.status_feed) {
    s.status_feed->stop();
  }
  if (s.printers) {
    s.printers->stop(); // the offline clock
  }
  if (s.pump) {
    s.pump->stop(); // what is not handled yet stays in the journal for the next start
  }
  if (s.notifications) {
    s.notifications->stop(); // attempts in flight finish before their plugin instances go
  }
  if (s.stream_hub) {
    if (s.bus) {
      s.bus->unsubscribeOwner(s.stream_hub.get());
    }
    s.stream_hub->stop(); // after the pump, its only publisher; the HTTP server ended the streams
  }
  if (s.plugins) {
    s.plugins->shutdown(); // drivers stop: a file download in flight ends
  }
  if (s.print_files) {
    s.print_files->stop();
  }
  if (s.intake) {
    s.intake->stop(); // the drivers' last reports reach the registry and the journal
  }
  if (s.plugins) {
    s.plugins.reset();
  }
  s.pump.reset();
  s.stream_hub.reset();
  s.stream_tokens.reset();
  s.intake.reset();
  s.notifications.reset();
  s.queue.reset();
  s.queue_store.reset();
  s.print_files.reset();
  s.print_starter.reset();
  s.printer_checks.reset();
  s.status_feed.reset();
  s.live_status.reset(); // after the feed that offers to it
  s.command_relay.reset();
  s.printers.reset();
  s.archives.reset();
  s.archive_store.reset();
  s.printer_store.reset();
  s.audit.reset(); // stores what is queued; before the bus it subscribes to and the database
  if (s.bus) {
    s.bus->stop();
    s.bus.reset();
  }
  s.settings.reset();
  s.kv.reset();
  s.changes.reset();
  s.database.reset();
}

} // namespace bambuddy::app
