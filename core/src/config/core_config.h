// The core section of bambuddy.yaml as typed values, loaded, validated against the embedded
// schema (config/schema/core.schema.json) and with every relative path made absolute.
#pragma once

#include "common/logger.h"
#include "config/config_error.h"
#include "config/listen_address.h"
#include "config/yaml_loader.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace bambuddy::config {

// The defaults below mirror the schema's "default" values (a unit test keeps them in step).
struct ServerConfig {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8000;
  int threads = 2;
  int worker_threads = 4;
  int64_t max_request_size_bytes = 1048576;
  int64_t keepalive_timeout_ms = 15000;
  int64_t header_timeout_ms = 5000;
  int64_t body_timeout_ms = 30000;
  int64_t shutdown_grace_ms = 10000;
  // Canonical CIDRs ("10.0.0.0/8"), each checked with sdk::Cidr when loaded.
  std::vector<std::string> trusted_proxies;
  // Absolute directory of the built web interface, or empty when it is off or not built (the
  // default looks for web/ next to the executable and is quietly empty when there is none).
  std::string web_root;
  // GET /api/v1/events/stream (server.event_stream.*).
  uint32_t streams_per_key = 10;
  uint32_t max_streams = 1000;
  int64_t stream_buffer_bytes = 262144; // a client's unsent backlog before it is dropped
};

struct AuthConfig {
  uint32_t read_limit = 100; // requests per rolling 60 s per key and class (auth.rate_limits.*)
  uint32_t write_limit = 30;
  uint32_t control_limit = 10;
  uint32_t failed_auth_per_minute = 20; // refused keys per client address (IPv6: /64)
  uint32_t keyless_per_minute = 600;    // requests without a key per client address (IPv6: /64)
};

struct AuditConfig {
  int retention_days = 90;
};

struct DatabaseConfig {
  std::string path; // absolute after load (":memory:" is kept as is)
  std::string url;  // postgresql://user@host:5432/db instead of the SQLite file; "" = SQLite
  int pool_size = 4;
  int64_t busy_timeout_ms = 5000;
};

// Several server instances on one PostgreSQL database (cluster/cluster_coordinator.h).
struct ClusterConfig {
  bool enabled = false;
  int64_t heartbeat_ms = 2000;
  int64_t lease_ms = 10000;
};

struct BusConfig {
  std::size_t queue_capacity = 10000;
  int dispatch_threads = 1;
};

struct ArchivesConfig {
  int64_t max_upload_bytes = 200LL * 1024 * 1024;
};

struct PrintersConfig {
  std::vector<int> progress_milestones{25, 50, 75}; // ascending
  int64_t offline_debounce_ms = 60000;
};

struct NotificationsConfig {
  // Delay before attempt 1, 2, ... (notifications.retry_schedule_s in ms).
  std::vector<int64_t> retry_schedule_ms{0,       5000,     30000,    120000,   600000,  1800000,
                                         3600000, 10800000, 21600000, 43200000, 86400000};
  double retry_jitter = 0.2;
  int64_t attempt_timeout_ms = 30000;
  int64_t disable_after_failing_ms = int64_t{432000} * 1000; // 0 = never
  int delivery_retention_days = 30;
  int workers_per_provider = 1;
  int max_queued_per_provider = 1000;
  // The largest image (thumbnail, finish photo) sent with a notification; larger ones are left
  // out and the text goes alone. 0 = never send images.
  int64_t max_attachment_bytes = int64_t{2} * 1024 * 1024;
};

struct PluginInstanceConfig {
  std::string id;
  std::string name;                                   // display name; the id when absent
  nlohmann::json settings = nlohmann::json::object(); // {} when absent
  std::string pointer;                                // "/plugins/load/2/instances/0"
  // Notifier plugins: "events", "printer_ids" and "quiet_hours" as written ({} when none given).
  nlohmann::json routing = nlohmann::json::object();
};

struct PluginEntryConfig {
  std::string name;
  bool required = true;
  std::string path; // explicit plugin file (absolute after load); "" = look up the name on the search path
  nlohmann::json config = nlohmann::json::object(); // {} when absent
  std::vector<PluginInstanceConfig> instances;
  bool instances_given = false; // "instances:" present (possibly empty) vs absent
  std::string pointer;          // "/plugins/load/2"
};

struct CoreConfig {
  std::string config_file; // absolute path of the file (or of the name given to parseCoreConfig)
  std::string data_dir;    // absolute
  ServerConfig server;
  DatabaseConfig database;
  ClusterConfig cluster;
  BusConfig bus;
  AuthConfig auth;
  AuditConfig audit;
  PrintersConfig printers;
  ArchivesConfig archives;
  NotificationsConfig notifications;
  LogLevel log_level = LogLevel::Info;
  std::vector<std::string> plugin_search_path; // absolute
  std::vector<PluginEntryConfig> plugins;
  // The parsed file as written (no defaults filled in), kept so later stages, such as the plugin
  // host checking a plugin's block against the plugin's own schema, can map pointers to lines.
  LoadedDocument document;
};

// What the process environment contributes to the config.
struct Environment {
  std::optional<std::string> data_dir; // BAMBUDDY_DATA_DIR; replaces data_dir (relative: against the cwd)
  std::optional<std::string> listen;   // BAMBUDDY_LISTEN; replaces server.listen
  // BAMBUDDY_DATABASE_URL; replaces database.url (containers and several instances set it per host)
  std::optional<std::string> database_url;
  std::string exe_dir; // directory of the running executable (default plugin search path)
  // Resolves ${VAR} references in the file's string values; empty: no variable is set.
  VariableLookup variables;

  // Reads the variables above (an empty variable counts as unset), /proc/self/exe, and gives
  // `variables` the process environment (where an empty variable is set, as in the shell). The
  // only place that reads the process environment.
  static Environment fromProcess();
};

// Throws ConfigException listing every problem found (file, line, path, message), sorted by line;
// environment problems come last and name the variable.
CoreConfig loadCoreConfig(const std::string& path, const Environment& env);
// Same for text already in memory; `file_name` is used in messages and to resolve relative paths.
CoreConfig parseCoreConfig(const std::string& yaml_text, const std::string& file_name,
                           const Environment& env);

} // namespace bambuddy::config
