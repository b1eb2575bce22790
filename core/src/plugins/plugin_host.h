// Loads the plugins named in the config, checks them, creates their instances and owns them until
// shutdown. Everything the core does with a plugin goes through PluginInstance.
#pragma once

#include "plugins/host_services.h"
#include "plugins/plugin_instance.h"
#include "plugins/plugin_probe.h"

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace bambuddy::config {
struct CoreConfig;
struct PluginEntryConfig;
struct ConfigError;
} // namespace bambuddy::config

namespace bambuddy::plugins {

// A required plugin could not be loaded (or a config block failed its schema): startup stops.
class PluginLoadError : public std::runtime_error {
public:
  PluginLoadError(std::string message, bool config_error, std::string plugin_abi = "")
      : std::runtime_error(std::move(message)), config_error_(config_error),
        plugin_abi_(std::move(plugin_abi)) {}
  // True when the cause is the operator's YAML (exit status 2), false for a refused binary.
  bool configError() const { return config_error_; }
  // "major.minor" from the plugin's descriptor, or "" when the file could not be queried.
  const std::string& pluginAbi() const { return plugin_abi_; }

private:
  bool config_error_;
  std::string plugin_abi_;
};

class PluginHost {
public:
  explicit PluginHost(HostServices services);
  ~PluginHost();
  PluginHost(const PluginHost&) = delete;
  PluginHost& operator=(const PluginHost&) = delete;

  // Loads every configured plugin in order and creates the instances given in the config (or one
  // instance "default" for storage and auth plugins that list none). A plugin that is refused is
  // logged with the reason and both ABI versions; an optional one is skipped, a required one
  // throws PluginLoadError after everything already loaded has been shut down.
  void loadAll(const config::CoreConfig& config);

  // --check-config: the same checks as loadAll (file found, ABI, descriptor, config and instance
  // schemas) without creating instances. Returns every problem found.
  static std::vector<config::ConfigError> check(const config::CoreConfig& config);

  // Creates an instance at run time (printers, notification providers). `settings` is validated
  // against the plugin's instance schema; std::invalid_argument names the failing path.
  PluginInstance& createInstance(const std::string& plugin_name, const std::string& instance_id,
                                 const nlohmann::json& settings);
  bool destroyInstance(const std::string& plugin_name, const std::string& instance_id);
  // A config-declared printer instance whose creation loadAll deferred (defer_printer_instances):
  // creates it with its config settings and returns it; null when none is deferred under that name
  // or it exists already. Throws as createInstance does.
  PluginInstance* createDeferred(const std::string& plugin_name, const std::string& instance_id);

  PluginInstance* findInstance(const std::string& plugin_name, const std::string& instance_id);
  std::vector<PluginInstance*> instancesOfKind(uint32_t kind);
  const LoadedPlugin* find(const std::string& name) const;

  std::vector<PluginSummary> summaries() const;

  // Destroys instances (drivers stopped first, subscriptions dropped) in reverse order, then unloads
  // the libraries. Idempotent; also run by the destructor.
  void shutdown();

private:
  std::unique_ptr<LoadedPlugin> loadOne(const config::CoreConfig& config,
                                        const config::PluginEntryConfig& entry);
  std::shared_ptr<InstanceContext> makeContext(const LoadedPlugin& plugin, const std::string& instance_id);

  HostServices services_;
  mutable std::shared_mutex mutex_;
  std::vector<std::unique_ptr<LoadedPlugin>> plugins_;
  // (plugin, instance id) -> settings of the deferred printer instances (defer_printer_instances).
  std::map<std::pair<std::string, std::string>, nlohmann::json> deferred_;
};

} // namespace bambuddy::plugins
