#include "plugins/plugin_host.h"

#include "common/logger.h"
#include "config/config_error.h"
#include "config/core_config.h"
#include "config/json_pointer.h"
#include "config/schema_validator.h"
#include "plugins/abi_rules.h"
#include "plugins/secret_file_fields.h"
#include "plugins/shared_library.h"

#include <filesystem>
#include <map>
#include <mutex>

namespace fs = std::filesystem;

namespace bambuddy::plugins {

namespace {

config::ConfigError schemaError(const config::CoreConfig& cfg, const std::string& pointer,
                                const std::string& message) {
  config::ConfigError e;
  e.file = cfg.document.file;
  e.line = cfg.document.lineOf(pointer);
  e.path = config::displayPath(pointer, &cfg.document.json);
  e.message = message;
  return e;
}

// An entry's config block and instance settings after their `_file` members were read.
struct ResolvedEntry {
  nlohmann::json config = nlohmann::json::object();
  std::vector<nlohmann::json> settings; // one per entry.instances, in order
};

// Reads the `<field>_file` members of a block (secret_file_fields.h), then validates it against
// `validator`; issues about a value read from a file point at its `_file` line.
void resolveAndValidate(const config::CoreConfig& cfg, nlohmann::json& block, const nlohmann::json& schema,
                        const config::SchemaValidator& validator, const std::string& pointer,
                        std::vector<config::ConfigError>& errors) {
  const std::string base_dir = fs::path(cfg.config_file).parent_path().string();
  SecretFileResolution files = resolveSecretFiles(block, schema, pointer, cfg.document, base_dir);
  errors.insert(errors.end(), files.errors.begin(), files.errors.end());
  for (const auto& issue : validator.validate(block)) {
    std::string at = pointer + issue.pointer;
    if (files.isFailed(at)) {
      continue; // already reported as the file's problem
    }
    std::string reported = files.reportedPointer(at);
    errors.push_back(schemaError(
        cfg, reported, reported == at ? issue.message : issue.message + " (the value read from the file)"));
  }
}

// Validates the entry's config block and instance settings against the plugin's schemas, after
// reading their `_file` members. Returns the problems with file, line and path; `out` receives
// the config and the settings with the files read, the config also with defaults applied.
std::vector<config::ConfigError> validateEntry(const config::CoreConfig& cfg,
                                               const config::PluginEntryConfig& entry,
                                               const bb_plugin_descriptor& d, ResolvedEntry& out) {
  std::vector<config::ConfigError> errors;
  nlohmann::json config_schema = nlohmann::json::parse(d.config_schema);
  nlohmann::json instance_schema = nlohmann::json::parse(d.instance_schema);
  config::SchemaValidator config_validator(config_schema);
  config::SchemaValidator instance_validator(instance_schema);

  out.config = entry.config.is_null() ? nlohmann::json::object() : entry.config;
  resolveAndValidate(cfg, out.config, config_schema, config_validator, entry.pointer + "/config", errors);
  config::applyDefaults(config_schema, out.config);
  for (const auto& instance : entry.instances) {
    nlohmann::json settings = instance.settings.is_null() ? nlohmann::json::object() : instance.settings;
    resolveAndValidate(cfg, settings, instance_schema, instance_validator, instance.pointer + "/settings",
                       errors);
    out.settings.push_back(std::move(settings));
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

std::shared_ptr<InstanceContext> PluginHost::makeContext(const LoadedPlugin& plugin,
                                                         const std::string& instance_id) {
  auto ctx = std::make_shared<InstanceContext>();
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
  const std::string plugin_abi = abiString(d.abi_major, d.abi_minor);
  {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    for (const auto& loaded : plugins_) {
      if (loaded->name() == d.name) {
        throw PluginLoadError("plugin " + entry.name + " refused: duplicate name '" + d.name +
                                  "' (already loaded from " + loaded->path() + "; this copy " + path +
                                  ", version " + d.version + ")",
                              false, plugin_abi);
      }
    }
  }
  if (entry.name != d.name) {
    throw PluginLoadError("plugin " + entry.name + " refused: " + path + " declares the name '" + d.name +
                              "'",
                          false, plugin_abi);
  }
  ResolvedEntry resolved;
  auto errors = validateEntry(cfg, entry, d, resolved);
  if (!errors.empty()) {
    throw PluginLoadError(joinErrors(errors), true, plugin_abi);
  }
  auto plugin = std::make_unique<LoadedPlugin>(std::move(probe.library), probe.descriptor, entry.required,
                                               resolved.config);

  std::vector<config::PluginInstanceConfig> instances = entry.instances;
  for (std::size_t i = 0; i < instances.size(); ++i) {
    instances[i].settings = std::move(resolved.settings[i]); // with the `_file` members read
  }
  if (!entry.instances_given && defaultsToOneInstance(d.kind)) {
    config::PluginInstanceConfig one;
    one.id = "default";
    one.settings = nlohmann::json::object();
    instances.push_back(one);
  }
  std::string config_text = plugin->config().dump();
  for (const auto& instance : instances) {
    if (d.kind == BB_KIND_PRINTER_DRIVER && services_.defer_printer_instances) {
      nlohmann::json settings = instance.settings.is_null() ? nlohmann::json::object() : instance.settings;
      deferred_[{entry.name, instance.id}] = std::move(settings);
      continue;
    }
    auto object = std::make_unique<PluginInstance>(*plugin, makeContext(*plugin, instance.id));
    nlohmann::json settings = instance.settings.is_null() ? nlohmann::json::object() : instance.settings;
    config::applyDefaults(nlohmann::json::parse(d.instance_schema), settings);
    try {
      object->create(config_text, settings.dump());
    } catch (const PluginCallError& e) {
      // INVALID_ARGUMENT: the plugin refused what the operator gave it (settings, environment),
      // which a restart will not fix either, but a human can: a configuration error (exit 2).
      throw PluginLoadError("plugin " + entry.name + " instance '" + instance.id +
                                "' could not be created: " + e.what(),
                            e.code() == BB_ERR_INVALID_ARGUMENT, plugin_abi);
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
  const std::string host_abi = abiString(BB_ABI_MAJOR, BB_ABI_MINOR);
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
      std::string plugin_abi;
      if (auto* le = dynamic_cast<const PluginLoadError*>(&e)) {
        config_error = le->configError();
        plugin_abi = le->pluginAbi();
      }
      std::string versions = "plugin ABI " + (plugin_abi.empty() ? std::string("unknown") : plugin_abi) +
                             ", host ABI " + host_abi;
      if (entry.required) {
        services_.logger.error("plugins", std::string(e.what()) + " (required plugin; " + versions + ")");
        shutdown();
        throw PluginLoadError(e.what(), config_error, plugin_abi);
      }
      services_.logger.warn("plugins",
                            std::string(e.what()) + " (optional plugin skipped; " + versions + ")");
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
    ResolvedEntry resolved;
    auto errors = validateEntry(cfg, entry, *probe.descriptor, resolved);
    problems.insert(problems.end(), errors.begin(), errors.end());
  }
  return problems;
}

PluginInstance* PluginHost::createDeferred(const std::string& plugin_name, const std::string& instance_id) {
  nlohmann::json settings;
  {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    auto it = deferred_.find({plugin_name, instance_id});
    if (it == deferred_.end()) {
      return nullptr;
    }
    settings = it->second;
  }
  if (findInstance(plugin_name, instance_id) != nullptr) {
    return nullptr;
  }
  return &createInstance(plugin_name, instance_id, settings);
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
