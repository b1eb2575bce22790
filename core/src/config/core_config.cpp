#include "config/core_config.h"

#include "config/core_schema.h"
#include "config/json_pointer.h"
#include "config/schema_validator.h"

#include <bambuddy/cidr.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <system_error>

namespace bambuddy::config {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string normalize(const fs::path& path) {
  std::string text = path.lexically_normal().string();
  while (text.size() > 1 && text.back() == '/') {
    text.pop_back();
  }
  return text;
}

std::string resolve(const fs::path& base, const std::string& path) {
  fs::path p(path);
  return normalize(p.is_absolute() ? p : base / p);
}

fs::path currentDir() {
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  return ec ? fs::path("/") : cwd;
}

// Lookups that tolerate a document which failed validation: problems are already reported,
// the build only has to avoid tripping over them while looking for more.
const json* member(const json& object, const char* key) {
  if (!object.is_object()) {
    return nullptr;
  }
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

// `empty` stands in for a missing or mistyped section.
const json& objectOr(const json& object, const char* key, const json& empty) {
  const json* value = member(object, key);
  return value != nullptr && value->is_object() ? *value : empty;
}

template <class T> T numberOr(const json& object, const char* key, T fallback) {
  const json* value = member(object, key);
  return value != nullptr && value->is_number_integer() ? value->get<T>() : fallback;
}

std::string stringOr(const json& object, const char* key, const std::string& fallback) {
  const json* value = member(object, key);
  return value != nullptr && value->is_string() ? value->get<std::string>() : fallback;
}

class Builder {
public:
  Builder(const LoadedDocument& doc, const Environment& env) : doc_(doc), env_(env) {}

  CoreConfig build() {
    CoreConfig config;
    json data = doc_.json.is_null() ? json::object() : doc_.json;
    json schema = json::parse(kCoreSchemaJson);
    SchemaValidator validator(schema);
    for (const SchemaIssue& issue : validator.validate(data)) {
      fileError(issue.pointer, issue.message, issue.path);
    }
    applyDefaults(schema, data);

    fs::path config_path = doc_.file.empty() ? currentDir() / "config.yaml" : currentDir() / doc_.file;
    config.config_file = normalize(config_path);
    fs::path config_dir = fs::path(config.config_file).parent_path();

    if (env_.data_dir) {
      if (env_.data_dir->empty()) {
        envError("BAMBUDDY_DATA_DIR: must not be empty");
      } else {
        config.data_dir = resolve(currentDir(), *env_.data_dir);
      }
    } else {
      config.data_dir = resolve(config_dir, stringOr(data, "data_dir", "data"));
    }

    server(objectOr(data, "server", empty_), config.server);
    webRoot(objectOr(data, "server", empty_), config_dir, config.server);
    database(objectOr(data, "database", empty_), config.data_dir, config.database);
    cluster(objectOr(data, "cluster", empty_), config.database, config.cluster);
    const json& bus = objectOr(data, "bus", empty_);
    config.bus.queue_capacity = numberOr<std::size_t>(bus, "queue_capacity", config.bus.queue_capacity);
    config.bus.dispatch_threads = numberOr<int>(bus, "dispatch_threads", config.bus.dispatch_threads);
    auth(objectOr(data, "auth", empty_), config.auth);
    config.audit.retention_days =
        numberOr<int>(objectOr(data, "audit", empty_), "retention_days", config.audit.retention_days);
    printers(objectOr(data, "printers", empty_), config.printers);
    config.archives.max_upload_bytes = numberOr<int64_t>(
        objectOr(data, "archives", empty_), "max_upload_bytes", config.archives.max_upload_bytes);
    notifications(objectOr(data, "notifications", empty_), config.notifications);
    std::string level = stringOr(objectOr(data, "log", empty_), "level", "info");
    if (!parseLogLevel(level, config.log_level)) {
      config.log_level = LogLevel::Info; // the schema's enum has already reported it
    }
    plugins(objectOr(data, "plugins", empty_), config_dir, config);

    if (!file_errors_.empty() || !env_errors_.empty()) {
      std::stable_sort(file_errors_.begin(), file_errors_.end(),
                       [](const ConfigError& a, const ConfigError& b) { return a.line < b.line; });
      file_errors_.insert(file_errors_.end(), env_errors_.begin(), env_errors_.end());
      throw ConfigException(std::move(file_errors_));
    }
    config.document = doc_;
    return config;
  }

private:
  void fileError(const std::string& pointer, const std::string& message, const std::string& path = "") {
    std::string shown = path.empty() ? displayPath(pointer, &doc_.json) : path;
    file_errors_.push_back(ConfigError{doc_.file, doc_.lineOf(pointer), shown, message});
  }

  void envError(const std::string& message) { env_errors_.push_back(ConfigError{"", 0, "", message}); }

  void server(const json& s, ServerConfig& out) {
    if (env_.listen) {
      std::string error;
      if (!parseListen(*env_.listen, out.listen_host, out.listen_port, error)) {
        envError("BAMBUDDY_LISTEN=" + *env_.listen + ": " + error + " (expected host:port)");
      }
    } else {
      const json* listen = member(s, "listen");
      if (listen != nullptr && listen->is_string()) {
        std::string error;
        if (!parseListen(listen->get<std::string>(), out.listen_host, out.listen_port, error)) {
          fileError("/server/listen", error + " (expected host:port)");
        }
      }
    }
    out.threads = numberOr<int>(s, "threads", out.threads);
    out.worker_threads = numberOr<int>(s, "worker_threads", out.worker_threads);
    out.max_request_size_bytes = numberOr<int64_t>(s, "max_request_size_bytes", out.max_request_size_bytes);
    out.keepalive_timeout_ms = numberOr<int64_t>(s, "keepalive_timeout_ms", out.keepalive_timeout_ms);
    out.header_timeout_ms = numberOr<int64_t>(s, "header_timeout_ms", out.header_timeout_ms);
    out.body_timeout_ms = numberOr<int64_t>(s, "body_timeout_ms", out.body_timeout_ms);
    out.shutdown_grace_ms = numberOr<int64_t>(s, "shutdown_grace_ms", out.shutdown_grace_ms);
    const json& stream = objectOr(s, "event_stream", empty_);
    out.streams_per_key = numberOr<uint32_t>(stream, "per_key_limit", out.streams_per_key);
    out.max_streams = numberOr<uint32_t>(stream, "max_streams", out.max_streams);
    out.stream_buffer_bytes = numberOr<int64_t>(stream, "max_buffer_bytes", out.stream_buffer_bytes);
    const json* proxies = member(s, "trusted_proxies");
    if (proxies != nullptr && proxies->is_array()) {
      for (std::size_t i = 0; i < proxies->size(); ++i) {
        const json& item = (*proxies)[i];
        if (!item.is_string()) {
          continue; // the schema has reported it
        }
        std::string why;
        auto range = sdk::Cidr::parse(item.get<std::string>(), &why);
        if (!range) {
          fileError(childPointer("/server/trusted_proxies", i), "invalid CIDR: " + why);
          continue;
        }
        out.trusted_proxies.push_back(range->str());
      }
    }
  }

  // An explicit web_root must hold a built UI; the default is used only when it does.
  void webRoot(const json& s, const fs::path& config_dir, ServerConfig& out) {
    const json* enabled = member(s, "web_ui");
    if (enabled != nullptr && enabled->is_boolean() && !enabled->get<bool>()) {
      return;
    }
    const json* root = member(s, "web_root");
    if (root != nullptr && root->is_string() && !root->get<std::string>().empty()) {
      std::string dir = resolve(config_dir, root->get<std::string>());
      std::error_code ec;
      if (!fs::is_regular_file(fs::path(dir) / "index.html", ec)) {
        fileError("/server/web_root",
                  "no index.html in " + dir + " (build the web UI with scripts/build-web)");
        return;
      }
      out.web_root = dir;
      return;
    }
    fs::path exe_dir = env_.exe_dir.empty() ? currentDir() : fs::path(resolve(currentDir(), env_.exe_dir));
    std::error_code ec;
    if (fs::is_regular_file(exe_dir / "web" / "index.html", ec)) {
      out.web_root = normalize(exe_dir / "web");
    }
  }

  void auth(const json& a, AuthConfig& out) {
    const json& limits = objectOr(a, "rate_limits", empty_);
    out.read_limit = numberOr<uint32_t>(limits, "read", out.read_limit);
    out.write_limit = numberOr<uint32_t>(limits, "write", out.write_limit);
    out.control_limit = numberOr<uint32_t>(limits, "control", out.control_limit);
    out.failed_auth_per_minute = numberOr<uint32_t>(a, "failed_auth_per_minute", out.failed_auth_per_minute);
    out.keyless_per_minute = numberOr<uint32_t>(a, "keyless_per_minute", out.keyless_per_minute);
  }

  void database(const json& d, const std::string& data_dir, DatabaseConfig& out) {
    std::string path = stringOr(d, "path", "bambuddy.db");
    // SQLite's in-memory name is not a file; resolving it would create a file called ":memory:".
    out.path = path == ":memory:" ? path : resolve(data_dir, path);
    out.pool_size = numberOr<int>(d, "pool_size", out.pool_size);
    out.busy_timeout_ms = numberOr<int64_t>(d, "busy_timeout_ms", out.busy_timeout_ms);
    out.url = env_.database_url ? *env_.database_url : stringOr(d, "url", "");
  }

  void cluster(const json& c, const DatabaseConfig& database, ClusterConfig& out) {
    const json* enabled = member(c, "enabled");
    out.enabled = enabled != nullptr && enabled->is_boolean() && enabled->get<bool>();
    out.heartbeat_ms = numberOr<int64_t>(c, "heartbeat_ms", out.heartbeat_ms);
    out.lease_ms = numberOr<int64_t>(c, "lease_ms", out.lease_ms);
    if (out.enabled && database.url.empty()) {
      fileError("/cluster/enabled", "several instances share a PostgreSQL database: set database.url (or "
                                    "BAMBUDDY_DATABASE_URL); an SQLite file belongs to one process");
    }
    if (out.lease_ms < 3 * out.heartbeat_ms) {
      fileError("/cluster/lease_ms", "must be at least three heartbeats (" +
                                         std::to_string(3 * out.heartbeat_ms) + " ms with heartbeat_ms " +
                                         std::to_string(out.heartbeat_ms) +
                                         "), or one late heartbeat loses the leases");
    }
  }

  void plugins(const json& p, const fs::path& config_dir, CoreConfig& out) {
    const json* search = member(p, "search_path");
    if (search != nullptr && search->is_array()) {
      for (const json& entry : *search) {
        if (entry.is_string()) {
          out.plugin_search_path.push_back(resolve(config_dir, entry.get<std::string>()));
        }
      }
    } else {
      fs::path exe_dir = env_.exe_dir.empty() ? currentDir() : fs::path(resolve(currentDir(), env_.exe_dir));
      out.plugin_search_path.push_back(normalize(exe_dir / "plugins"));
      out.plugin_search_path.push_back(normalize(exe_dir / ".." / "lib" / "bambuddy" / "plugins"));
    }

    const json* load = member(p, "load");
    if (load == nullptr || !load->is_array()) {
      return;
    }
    std::map<std::string, std::size_t> names; // plugin name -> first index
    for (std::size_t i = 0; i < load->size(); ++i) {
      const json& item = (*load)[i];
      if (!item.is_object()) {
        continue;
      }
      PluginEntryConfig entry;
      entry.pointer = childPointer("/plugins/load", i);
      entry.name = stringOr(item, "name", "");
      const json* required = member(item, "required");
      entry.required = required != nullptr && required->is_boolean() ? required->get<bool>() : true;
      const json* config = member(item, "config");
      if (config != nullptr && config->is_object()) {
        entry.config = *config;
      }
      const json* path = member(item, "path");
      if (path != nullptr && path->is_string()) {
        entry.path = resolve(config_dir, path->get<std::string>());
      }
      if (!entry.name.empty()) {
        auto [first, inserted] = names.emplace(entry.name, i);
        if (!inserted) {
          fileError(childPointer(entry.pointer, "name"),
                    "plugin '" + entry.name + "' is already listed at plugins.load[" +
                        std::to_string(first->second) + "]; list it once and give it several instances");
        }
      }
      instances(item, entry);
      out.plugins.push_back(std::move(entry));
    }
  }

  void printers(const json& section, PrintersConfig& out) {
    const json* milestones = member(section, "progress_milestones");
    if (milestones != nullptr && milestones->is_array()) {
      out.progress_milestones.clear();
      for (const json& m : *milestones) {
        if (m.is_number_integer()) {
          out.progress_milestones.push_back(m.get<int>());
        }
      }
      std::sort(out.progress_milestones.begin(), out.progress_milestones.end());
    }
    out.offline_debounce_ms =
        static_cast<int64_t>(numberOr<double>(section, "offline_debounce_s", 60.0) * 1000.0);
  }

  void notifications(const json& section, NotificationsConfig& out) {
    const json* schedule = member(section, "retry_schedule_s");
    if (schedule != nullptr && schedule->is_array() && !schedule->empty()) {
      out.retry_schedule_ms.clear();
      for (const json& s : *schedule) {
        if (s.is_number()) {
          out.retry_schedule_ms.push_back(static_cast<int64_t>(s.get<double>() * 1000.0));
        }
      }
    }
    const json* jitter = member(section, "retry_jitter");
    if (jitter != nullptr && jitter->is_number()) {
      out.retry_jitter = jitter->get<double>();
    }
    out.attempt_timeout_ms = numberOr<int64_t>(section, "attempt_timeout_ms", out.attempt_timeout_ms);
    const json* disable = member(section, "disable_after_failing_s");
    if (disable != nullptr && disable->is_number()) {
      out.disable_after_failing_ms = static_cast<int64_t>(disable->get<double>() * 1000.0);
    }
    out.delivery_retention_days =
        numberOr<int>(section, "delivery_retention_days", out.delivery_retention_days);
    out.workers_per_provider = numberOr<int>(section, "workers_per_provider", out.workers_per_provider);
    out.max_queued_per_provider =
        numberOr<int>(section, "max_queued_per_provider", out.max_queued_per_provider);
    out.max_attachment_bytes = numberOr<int64_t>(section, "max_attachment_bytes", out.max_attachment_bytes);
  }

  void instances(const json& item, PluginEntryConfig& entry) {
    const json* list = member(item, "instances");
    if (list == nullptr) {
      return;
    }
    entry.instances_given = true;
    if (!list->is_array()) {
      return;
    }
    std::map<std::string, std::size_t> ids; // id -> first index
    std::string base = childPointer(entry.pointer, "instances");
    for (std::size_t j = 0; j < list->size(); ++j) {
      const json& raw = (*list)[j];
      if (!raw.is_object()) {
        continue;
      }
      PluginInstanceConfig instance;
      instance.pointer = childPointer(base, j);
      instance.id = stringOr(raw, "id", "");
      instance.name = stringOr(raw, "name", instance.id);
      const json* settings = member(raw, "settings");
      if (settings != nullptr && settings->is_object()) {
        instance.settings = *settings;
      }
      for (const char* key : {"events", "printer_ids", "quiet_hours"}) {
        const json* value = member(raw, key);
        if (value != nullptr) {
          instance.routing[key] = *value;
        }
      }
      if (!instance.id.empty()) {
        auto [first, inserted] = ids.emplace(instance.id, j);
        if (!inserted) {
          fileError(childPointer(instance.pointer, "id"),
                    "duplicate instance id '" + instance.id + "' (also at " +
                        displayPath(childPointer(base, first->second), &doc_.json) + ")");
        }
      }
      entry.instances.push_back(std::move(instance));
    }
  }

  const LoadedDocument& doc_;
  const Environment& env_;
  const json empty_ = json::object();
  std::vector<ConfigError> file_errors_;
  std::vector<ConfigError> env_errors_;
};

} // namespace

CoreConfig parseCoreConfig(const std::string& yaml_text, const std::string& file_name,
                           const Environment& env) {
  LoadedDocument doc = parseYaml(yaml_text, file_name, env.variables);
  return Builder(doc, env).build();
}

CoreConfig loadCoreConfig(const std::string& path, const Environment& env) {
  LoadedDocument doc = loadYamlFile(path, env.variables);
  return Builder(doc, env).build();
}

} // namespace bambuddy::config
