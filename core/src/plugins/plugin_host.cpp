#include "plugins/plugin_host.h"

#include "bus/event_bus.h"
#include "common/logger.h"
#include "config/config_error.h"
#include "config/core_config.h"
#include "config/json_pointer.h"
#include "config/schema_validator.h"
#include "plugins/abi_rules.h"
#include "plugins/shared_library.h"

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <regex>

namespace fs = std::filesystem;

namespace bambuddy::plugins {

// ----- PluginInstance ------------------------------------------------------------------------

PluginInstance::PluginInstance(LoadedPlugin& plugin, std::unique_ptr<InstanceContext> ctx)
    : plugin_(plugin), ctx_(std::move(ctx)) {}

PluginInstance::~PluginInstance() {
  destroy();
}

const std::string& PluginInstance::pluginName() const {
  return ctx_->plugin_name;
}
uint32_t PluginInstance::kind() const {
  return ctx_->kind;
}

template <class Ops> const Ops* PluginInstance::ops() const {
  return static_cast<const Ops*>(plugin_.descriptor().ops);
}

namespace {
bb_error newError() {
  bb_error err{};
  err.struct_size = sizeof(bb_error);
  return err;
}

[[noreturn]] void throwCall(int32_t rc, const bb_error& err) {
  // The plugin's text is bounded by the struct; make sure it is terminated before reading.
  bb_error copy = err;
  copy.reason[sizeof copy.reason - 1] = '\0';
  copy.message[sizeof copy.message - 1] = '\0';
  throw PluginCallError(rc, copy.reason, copy.message[0] != '\0' ? copy.message : "plugin call failed");
}

void appendTo(void* user, const char* data, size_t len) {
  static_cast<std::string*>(user)->append(data, len);
}
} // namespace

template <class Fn> int32_t PluginInstance::invoke(Fn&& fn) {
  std::shared_lock<std::shared_mutex> lock(in_use_);
  if (self_ == nullptr) {
    throw PluginCallError(BB_ERR_UNAVAILABLE, "destroyed", "plugin instance '" + id() + "' is not running");
  }
  bb_error err = newError();
  int32_t rc = fn(err);
  if (rc != BB_OK) {
    throwCall(rc, err);
  }
  return rc;
}

void PluginInstance::create(const std::string& config_json, const std::string& settings_json) {
  std::unique_lock<std::shared_mutex> lock(in_use_);
  bb_error err = newError();
  void* self = nullptr;
  int32_t rc = plugin_.descriptor().create(hostApi(), ctx_->handle(), config_json.data(), config_json.size(),
                                           settings_json.data(), settings_json.size(), &self, &err);
  if (rc != BB_OK) {
    throwCall(rc, err);
  }
  if (self == nullptr) {
    throw PluginCallError(BB_ERR_INTERNAL, "no_instance", "create returned success without an instance");
  }
  self_ = self;
}

void PluginInstance::destroy() {
  if (ctx_->kind == BB_KIND_PRINTER_DRIVER && !stopped_) {
    try {
      driverStop();
    } catch (const std::exception& e) {
      ctx_->services->logger.warn(ctx_->log_component, std::string("stop failed: ") + e.what());
    }
  }
  // Subscriptions go first so no callback can reach an instance being destroyed.
  dropSubscriptions(*ctx_);
  std::unique_lock<std::shared_mutex> lock(in_use_);
  if (self_ != nullptr) {
    plugin_.descriptor().destroy(self_);
    self_ = nullptr;
  }
}

void PluginInstance::storagePut(const std::string& key, const std::string& data) {
  invoke([&](bb_error& err) {
    return ops<bb_storage_ops>()->put(self_, key.data(), key.size(), data.data(), data.size(), &err);
  });
}

std::optional<std::string> PluginInstance::storageGet(const std::string& key) {
  std::string out;
  try {
    invoke([&](bb_error& err) {
      return ops<bb_storage_ops>()->get(self_, key.data(), key.size(), &appendTo, &out, &err);
    });
  } catch (const PluginCallError& e) {
    if (e.code() == BB_ERR_NOT_FOUND) {
      return std::nullopt;
    }
    throw;
  }
  return out;
}

bool PluginInstance::storageRemove(const std::string& key) {
  try {
    invoke([&](bb_error& err) { return ops<bb_storage_ops>()->remove(self_, key.data(), key.size(), &err); });
  } catch (const PluginCallError& e) {
    if (e.code() == BB_ERR_NOT_FOUND) {
      return false;
    }
    throw;
  }
  return true;
}

std::vector<std::pair<std::string, uint64_t>> PluginInstance::storageList(const std::string& prefix) {
  std::vector<std::pair<std::string, uint64_t>> out;
  auto visit = [](void* user, const char* key, size_t len, uint64_t size) -> int32_t {
    static_cast<std::vector<std::pair<std::string, uint64_t>>*>(user)->emplace_back(std::string(key, len),
                                                                                    size);
    return 0;
  };
  invoke([&](bb_error& err) {
    return ops<bb_storage_ops>()->list(self_, prefix.data(), prefix.size(), visit, &out, &err);
  });
  return out;
}

void PluginInstance::driverStart() {
  invoke([&](bb_error& err) { return ops<bb_printer_driver_ops>()->start(self_, &err); });
  stopped_ = false;
}

void PluginInstance::driverStop() {
  invoke([&](bb_error& err) { return ops<bb_printer_driver_ops>()->stop(self_, &err); });
  stopped_ = true;
}

std::string PluginInstance::driverCommand(const std::string& command_json) {
  std::string out;
  invoke([&](bb_error& err) {
    return ops<bb_printer_driver_ops>()->command(self_, command_json.data(), command_json.size(), &appendTo,
                                                 &out, &err);
  });
  return out;
}

std::string PluginInstance::driverCapabilities() {
  std::string out;
  invoke([&](bb_error& err) {
    return ops<bb_printer_driver_ops>()->capabilities(self_, &appendTo, &out, &err);
  });
  return out;
}

bb_delivery_result PluginInstance::notifierSend(const std::string& notification_json, int64_t deadline_ms) {
  bb_delivery_result result{};
  result.struct_size = sizeof(bb_delivery_result);
  invoke([&](bb_error& err) {
    return ops<bb_notifier_ops>()->send(self_, notification_json.data(), notification_json.size(),
                                        deadline_ms, &result, &err);
  });
  result.response_snippet[sizeof result.response_snippet - 1] = '\0';
  result.error[sizeof result.error - 1] = '\0';
  return result;
}

int32_t PluginInstance::authenticate(const bb_auth_request& request, bb_principal& out, bb_error& err) {
  std::shared_lock<std::shared_mutex> lock(in_use_);
  if (self_ == nullptr) {
    throw PluginCallError(BB_ERR_UNAVAILABLE, "destroyed", "plugin instance '" + id() + "' is not running");
  }
  out = bb_principal{};
  out.struct_size = sizeof(bb_principal);
  int32_t rc = ops<bb_auth_ops>()->authenticate(self_, &request, &out, &err);
  err.reason[sizeof err.reason - 1] = '\0';
  err.message[sizeof err.message - 1] = '\0';
  if (rc != BB_AUTH_OK && rc != BB_AUTH_NO_CREDENTIALS && rc != BB_AUTH_INVALID) {
    throwCall(rc, err);
  }
  return rc;
}

// ----- LoadedPlugin --------------------------------------------------------------------------

LoadedPlugin::LoadedPlugin(std::unique_ptr<SharedLibrary> library, const bb_plugin_descriptor* descriptor,
                           bool required, nlohmann::json config)
    : library_(std::move(library)), descriptor_(descriptor), required_(required), config_(std::move(config)),
      instance_validator_(
          std::make_unique<config::SchemaValidator>(nlohmann::json::parse(descriptor->instance_schema))) {}

LoadedPlugin::~LoadedPlugin() {
  // Instances hold function pointers into the library: they must go before it is unloaded.
  while (!instances_.empty()) {
    instances_.pop_back();
  }
  descriptor_ = nullptr;
  library_.reset();
}

const std::string& LoadedPlugin::path() const {
  return library_->path();
}

// ----- Resolution and probing ----------------------------------------------------------------

std::string resolvePluginPath(const std::string& name, const std::string& explicit_path,
                              const std::vector<std::string>& search_path, std::string& error) {
  if (!explicit_path.empty()) {
    std::error_code ec;
    if (!fs::is_regular_file(explicit_path, ec)) {
      error = "plugin file " + explicit_path + " does not exist";
      return "";
    }
    return explicit_path;
  }
  std::string file = "bb_" + name;
  std::replace(file.begin(), file.end(), '.', '_');
  file += ".so";
  for (const std::string& dir : search_path) {
    fs::path candidate = fs::path(dir) / file;
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) {
      return candidate.string();
    }
  }
  std::string dirs;
  for (const std::string& dir : search_path) {
    dirs += (dirs.empty() ? "" : ", ") + dir;
  }
  error = "no " + file + " on the plugin search path (" + (dirs.empty() ? std::string("empty") : dirs) + ")";
  return "";
}

ProbedPlugin probePlugin(const std::string& path, std::string& error) {
  ProbedPlugin probe;
  std::string load_error;
  probe.library = SharedLibrary::open(path, load_error);
  if (!probe.library) {
    error = "cannot load " + path + ": " + load_error;
    return {};
  }
  auto query = reinterpret_cast<bb_plugin_query_fn>(probe.library->symbol(BB_PLUGIN_QUERY_SYMBOL));
  if (query == nullptr) {
    error = path + " does not export " BB_PLUGIN_QUERY_SYMBOL " (not a Bambuddy plugin)";
    return {};
  }
  probe.descriptor = query(BB_ABI_MAJOR, BB_ABI_MINOR);
  if (auto problem = checkDescriptor(probe.descriptor)) {
    error = path + ": " + *problem;
    return {};
  }
  return probe;
}

namespace {

PluginSummary summarize(const bb_plugin_descriptor& d, const std::string& path, bool required) {
  PluginSummary s;
  s.name = d.name;
  s.kind = kindName(d.kind);
  s.version = d.version;
  s.abi = abiString(d.abi_major, d.abi_minor);
  s.description = d.description != nullptr ? d.description : "";
  s.path = path;
  s.required = required;
  return s;
}

config::ConfigError schemaError(const config::CoreConfig& cfg, const std::string& pointer,
                                const std::string& message) {
  config::ConfigError e;
  e.file = cfg.document.file;
  e.line = cfg.document.lineOf(pointer);
  e.path = config::displayPath(pointer, &cfg.document.json);
  e.message = message;
  return e;
}

// Validates the entry's config block and instance settings against the plugin's schemas. Returns
// the problems with file, line and path; `config_out` receives the config with defaults applied.
std::vector<config::ConfigError> validateEntry(const config::CoreConfig& cfg,
                                               const config::PluginEntryConfig& entry,
                                               const bb_plugin_descriptor& d, nlohmann::json& config_out) {
  std::vector<config::ConfigError> errors;
  nlohmann::json config_schema = nlohmann::json::parse(d.config_schema);
  nlohmann::json instance_schema = nlohmann::json::parse(d.instance_schema);
  config::SchemaValidator config_validator(config_schema);
  config::SchemaValidator instance_validator(instance_schema);

  config_out = entry.config.is_null() ? nlohmann::json::object() : entry.config;
  for (const auto& issue : config_validator.validate(config_out)) {
    errors.push_back(schemaError(cfg, entry.pointer + "/config" + issue.pointer, issue.message));
  }
  config::applyDefaults(config_schema, config_out);
  for (const auto& instance : entry.instances) {
    nlohmann::json settings = instance.settings.is_null() ? nlohmann::json::object() : instance.settings;
    for (const auto& issue : instance_validator.validate(settings)) {
      errors.push_back(schemaError(cfg, instance.pointer + "/settings" + issue.pointer, issue.message));
    }
  }
  return errors;
}

std::string joinErrors(const std::vector<config::ConfigError>& errors) {
  std::string text;
  for (const auto& e : errors) {
    text += (text.empty() ? "" : "; ") + e.format();
  }
  return text;
}

bool defaultsToOneInstance(uint32_t kind) {
  return kind == BB_KIND_STORAGE || kind == BB_KIND_AUTH;
}

} // namespace

// ----- PluginHost ----------------------------------------------------------------------------

PluginHost::PluginHost(HostServices services) : services_(std::move(services)) {}

PluginHost::~PluginHost() {
  shutdown();
}

std::unique_ptr<InstanceContext> PluginHost::makeContext(const LoadedPlugin& plugin,
                                                         const std::string& instance_id) {
  auto ctx = std::make_unique<InstanceContext>();
  ctx->services = &services_;
  ctx->plugin_name = plugin.name();
  ctx->instance_id = instance_id;
  ctx->kind = plugin.descriptor().kind;
  ctx->log_component = "plugin:" + ctx->plugin_name + "/" + instance_id;
  fs::path dir = fs::path(services_.data_dir) / "plugins" / ctx->plugin_name / instance_id;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    throw std::runtime_error("cannot create data directory " + dir.string() + ": " + ec.message());
  }
  ctx->data_dir = dir.string();
  return ctx;
}

std::unique_ptr<LoadedPlugin> PluginHost::loadOne(const config::CoreConfig& cfg,
                                                  const config::PluginEntryConfig& entry) {
  std::string error;
  std::string path = resolvePluginPath(entry.name, entry.path, cfg.plugin_search_path, error);
  if (path.empty()) {
    throw PluginLoadError("plugin " + entry.name + " refused: " + error, false);
  }
  ProbedPlugin probe = probePlugin(path, error);
  if (!probe.descriptor) {
    throw PluginLoadError("plugin " + entry.name + " refused: " + error, false);
  }
  const bb_plugin_descriptor& d = *probe.descriptor;
  {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    for (const auto& loaded : plugins_) {
      if (loaded->name() == d.name) {
        throw PluginLoadError("plugin " + entry.name + " refused: duplicate name '" + d.name +
                                  "' (already loaded from " + loaded->path() + "; this copy " + path +
                                  ", version " + d.version + ")",
                              false);
      }
    }
  }
  if (entry.name != d.name) {
    throw PluginLoadError(
        "plugin " + entry.name + " refused: " + path + " declares the name '" + d.name + "'", false);
  }
  nlohmann::json config_json;
  auto errors = validateEntry(cfg, entry, d, config_json);
  if (!errors.empty()) {
    throw PluginLoadError(joinErrors(errors), true);
  }
  auto plugin =
      std::make_unique<LoadedPlugin>(std::move(probe.library), probe.descriptor, entry.required, config_json);

  std::vector<config::PluginInstanceConfig> instances = entry.instances;
  if (!entry.instances_given && defaultsToOneInstance(d.kind)) {
    config::PluginInstanceConfig one;
    one.id = "default";
    one.settings = nlohmann::json::object();
    instances.push_back(one);
  }
  std::string config_text = plugin->config().dump();
  for (const auto& instance : instances) {
    auto object = std::make_unique<PluginInstance>(*plugin, makeContext(*plugin, instance.id));
    nlohmann::json settings = instance.settings.is_null() ? nlohmann::json::object() : instance.settings;
    config::applyDefaults(nlohmann::json::parse(d.instance_schema), settings);
    try {
      object->create(config_text, settings.dump());
    } catch (const PluginCallError& e) {
      throw PluginLoadError("plugin " + entry.name + " instance '" + instance.id +
                                "' could not be created: " + e.what(),
                            false);
    }
    plugin->instances().push_back(std::move(object));
  }
  if (d.kind == BB_KIND_PRINTER_DRIVER) {
    for (auto& instance : plugin->instances()) {
      instance->driverStart();
    }
  }
  return plugin;
}

void PluginHost::loadAll(const config::CoreConfig& cfg) {
  for (const auto& entry : cfg.plugins) {
    try {
      auto plugin = loadOne(cfg, entry);
      const bb_plugin_descriptor& d = plugin->descriptor();
      services_.logger.info("plugins", "loaded " + plugin->name() + " " + d.version + " (" +
                                           kindName(d.kind) + ", ABI " + abiString(d.abi_major, d.abi_minor) +
                                           ", " + std::to_string(plugin->instances().size()) +
                                           " instance(s)) from " + plugin->path());
      std::unique_lock<std::shared_mutex> lock(mutex_);
      plugins_.push_back(std::move(plugin));
    } catch (const std::exception& e) {
      bool config_error = false;
      if (auto* le = dynamic_cast<const PluginLoadError*>(&e)) {
        config_error = le->configError();
      }
      if (entry.required) {
        services_.logger.error("plugins", std::string(e.what()) + " (required plugin; host ABI " +
                                              abiString(BB_ABI_MAJOR, BB_ABI_MINOR) + ")");
        shutdown();
        throw PluginLoadError(e.what(), config_error);
      }
      services_.logger.warn("plugins", std::string(e.what()) + " (optional plugin skipped; host ABI " +
                                           abiString(BB_ABI_MAJOR, BB_ABI_MINOR) + ")");
    }
  }
}

std::vector<config::ConfigError> PluginHost::check(const config::CoreConfig& cfg) {
  std::vector<config::ConfigError> problems;
  std::map<std::string, std::string> seen;
  for (const auto& entry : cfg.plugins) {
    auto fail = [&](const std::string& message) {
      problems.push_back(schemaError(cfg, entry.pointer + "/name", message));
    };
    std::string error;
    std::string path = resolvePluginPath(entry.name, entry.path, cfg.plugin_search_path, error);
    if (path.empty()) {
      fail(error);
      continue;
    }
    ProbedPlugin probe = probePlugin(path, error);
    if (!probe.descriptor) {
      fail(error);
      continue;
    }
    std::string declared = probe.descriptor->name;
    if (!seen.emplace(declared, path).second) {
      fail("duplicate plugin name '" + declared + "' (also declared by " + seen[declared] + ")");
      continue;
    }
    if (entry.name != declared) {
      fail(path + " declares the name '" + declared + "'");
      continue;
    }
    nlohmann::json config_json;
    auto errors = validateEntry(cfg, entry, *probe.descriptor, config_json);
    problems.insert(problems.end(), errors.begin(), errors.end());
  }
  return problems;
}

std::vector<DiscoveredPlugin> PluginHost::discover(const std::vector<std::string>& search_path) {
  std::vector<DiscoveredPlugin> found;
  std::map<std::string, std::string> first_path; // descriptor name -> first file declaring it
  for (const std::string& dir : search_path) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      continue;
    }
    std::vector<fs::path> files;
    for (const auto& item : fs::directory_iterator(dir, ec)) {
      if (item.path().extension() == ".so") {
        files.push_back(item.path());
      }
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      DiscoveredPlugin entry;
      entry.path = file.string();
      std::string load_error;
      auto library = SharedLibrary::open(entry.path, load_error);
      if (!library) {
        entry.problem = "cannot load: " + load_error;
        found.push_back(std::move(entry));
        continue;
      }
      auto query = reinterpret_cast<bb_plugin_query_fn>(library->symbol(BB_PLUGIN_QUERY_SYMBOL));
      if (query == nullptr) {
        entry.problem = "does not export " BB_PLUGIN_QUERY_SYMBOL;
        found.push_back(std::move(entry));
        continue;
      }
      const bb_plugin_descriptor* d = query(BB_ABI_MAJOR, BB_ABI_MINOR);
      auto problem = checkDescriptor(d);
      if (d != nullptr && d->struct_size >= offsetof(bb_plugin_descriptor, config_schema) &&
          d->name != nullptr && d->version != nullptr && d->struct_size <= sizeof(bb_plugin_descriptor)) {
        entry.summary = summarize(*d, entry.path, false);
      }
      if (problem) {
        entry.problem = *problem;
      } else if (auto [it, inserted] = first_path.emplace(d->name, entry.path); !inserted) {
        entry.problem = "duplicate name '" + it->first + "' (also declared by " + it->second + ")";
      }
      found.push_back(std::move(entry));
    }
  }
  return found;
}

PluginInstance& PluginHost::createInstance(const std::string& plugin_name, const std::string& instance_id,
                                           const nlohmann::json& settings) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  LoadedPlugin* plugin = nullptr;
  for (auto& p : plugins_) {
    if (p->name() == plugin_name) {
      plugin = p.get();
    }
  }
  if (plugin == nullptr) {
    throw std::invalid_argument("plugin '" + plugin_name + "' is not loaded");
  }
  for (const auto& existing : plugin->instances()) {
    if (existing->id() == instance_id) {
      throw std::invalid_argument("instance '" + instance_id + "' of " + plugin_name + " already exists");
    }
  }
  auto issues = plugin->instanceValidator().validate(settings);
  if (!issues.empty()) {
    std::string text;
    for (const auto& issue : issues) {
      text += (text.empty() ? "" : "; ") + (issue.path.empty() ? std::string("settings") : issue.path) +
              ": " + issue.message;
    }
    throw std::invalid_argument(text);
  }
  nlohmann::json filled = settings;
  config::applyDefaults(nlohmann::json::parse(plugin->descriptor().instance_schema), filled);
  auto object = std::make_unique<PluginInstance>(*plugin, makeContext(*plugin, instance_id));
  object->create(plugin->config().dump(), filled.dump());
  if (plugin->descriptor().kind == BB_KIND_PRINTER_DRIVER) {
    object->driverStart();
  }
  plugin->instances().push_back(std::move(object));
  return *plugin->instances().back();
}

bool PluginHost::destroyInstance(const std::string& plugin_name, const std::string& instance_id) {
  std::unique_ptr<PluginInstance> doomed;
  {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    for (auto& p : plugins_) {
      if (p->name() != plugin_name) {
        continue;
      }
      auto& list = p->instances();
      for (auto it = list.begin(); it != list.end(); ++it) {
        if ((*it)->id() == instance_id) {
          doomed = std::move(*it);
          list.erase(it);
          break;
        }
      }
    }
  }
  if (!doomed) {
    return false;
  }
  doomed->destroy();
  return true;
}

PluginInstance* PluginHost::findInstance(const std::string& plugin_name, const std::string& instance_id) {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  for (auto& p : plugins_) {
    if (p->name() == plugin_name) {
      for (auto& i : p->instances()) {
        if (i->id() == instance_id) {
          return i.get();
        }
      }
    }
  }
  return nullptr;
}

std::vector<PluginInstance*> PluginHost::instancesOfKind(uint32_t kind) {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  std::vector<PluginInstance*> out;
  for (auto& p : plugins_) {
    if (p->descriptor().kind == kind) {
      for (auto& i : p->instances()) {
        out.push_back(i.get());
      }
    }
  }
  return out;
}

const LoadedPlugin* PluginHost::find(const std::string& name) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  for (const auto& p : plugins_) {
    if (p->name() == name) {
      return p.get();
    }
  }
  return nullptr;
}

std::vector<PluginSummary> PluginHost::summaries() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  std::vector<PluginSummary> out;
  for (const auto& p : plugins_) {
    PluginSummary s = summarize(p->descriptor(), p->path(), p->required());
    for (const auto& i : p->instances()) {
      s.instances.push_back(i->id());
    }
    out.push_back(std::move(s));
  }
  return out;
}

void PluginHost::shutdown() {
  std::vector<std::unique_ptr<LoadedPlugin>> plugins;
  {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    plugins.swap(plugins_);
  }
  // Reverse load order: later plugins may depend on earlier ones.
  while (!plugins.empty()) {
    std::unique_ptr<LoadedPlugin> plugin = std::move(plugins.back());
    plugins.pop_back();
    std::string name = plugin->name();
    auto& instances = plugin->instances();
    while (!instances.empty()) {
      instances.back()->destroy();
      instances.pop_back();
    }
    plugin.reset(); // unloads the library
    services_.logger.info("plugins", "unloaded " + name);
  }
}

} // namespace bambuddy::plugins
