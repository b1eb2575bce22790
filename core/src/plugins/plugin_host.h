// Loads the plugins named in the config, checks them, creates their instances and owns them until
// shutdown. Everything the core does with a plugin goes through PluginInstance.
#pragma once

#include "plugins/host_services.h"

#include <bambuddy/abi.h>

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace bambuddy::config {
struct CoreConfig;
struct PluginEntryConfig;
struct ConfigError;
class SchemaValidator;
} // namespace bambuddy::config

namespace bambuddy::plugins {

class SharedLibrary;
class LoadedPlugin;

// A plugin op returned an error code (or threw inside the plugin, which the SDK turns into one).
class PluginCallError : public std::runtime_error {
public:
  PluginCallError(int32_t code, std::string reason, const std::string& message)
      : std::runtime_error(message), code_(code), reason_(std::move(reason)) {}
  int32_t code() const { return code_; }
  const std::string& reason() const { return reason_; }

private:
  int32_t code_;
  std::string reason_;
};

// A required plugin could not be loaded (or a config block failed its schema): startup stops.
class PluginLoadError : public std::runtime_error {
public:
  PluginLoadError(std::string message, bool config_error)
      : std::runtime_error(std::move(message)), config_error_(config_error) {}
  // True when the cause is the operator's YAML (exit status 2), false for a refused binary.
  bool configError() const { return config_error_; }

private:
  bool config_error_;
};

// One live instance. Op calls may run concurrently; destroy waits for them.
class PluginInstance {
public:
  PluginInstance(LoadedPlugin& plugin, std::unique_ptr<InstanceContext> ctx);
  ~PluginInstance();
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  const std::string& id() const { return ctx_->instance_id; }
  const std::string& pluginName() const;
  uint32_t kind() const;

  // Calls the descriptor's create with validated JSON; throws PluginCallError on failure.
  void create(const std::string& config_json, const std::string& settings_json);
  // Stops (printer drivers), drops subscriptions, destroys. Idempotent.
  void destroy();

  // Storage ops.
  void storagePut(const std::string& key, const std::string& data);
  std::optional<std::string> storageGet(const std::string& key);
  bool storageRemove(const std::string& key);
  std::vector<std::pair<std::string, uint64_t>> storageList(const std::string& prefix);

  // Printer driver ops.
  void driverStart();
  void driverStop();
  std::string driverCommand(const std::string& command_json);
  std::string driverCapabilities();

  // Notifier op: returns the filled result, throws PluginCallError when the op itself failed.
  bb_delivery_result notifierSend(const std::string& notification_json, int64_t deadline_ms);

  // Auth op: returns BB_AUTH_* and fills `out`; `err` carries reason/message for BB_AUTH_INVALID.
  int32_t authenticate(const bb_auth_request& request, bb_principal& out, bb_error& err);

private:
  template <class Ops> const Ops* ops() const;
  template <class Fn> int32_t invoke(Fn&& fn);

  LoadedPlugin& plugin_;
  std::unique_ptr<InstanceContext> ctx_;
  void* self_ = nullptr;
  std::shared_mutex in_use_; // shared by op calls, exclusive for destroy
  bool stopped_ = false;
};

// One loaded library with its validated config and instances.
class LoadedPlugin {
public:
  LoadedPlugin(std::unique_ptr<SharedLibrary> library, const bb_plugin_descriptor* descriptor, bool required,
               nlohmann::json config);
  ~LoadedPlugin();

  const bb_plugin_descriptor& descriptor() const { return *descriptor_; }
  std::string name() const { return descriptor_->name; }
  const std::string& path() const;
  bool required() const { return required_; }
  const nlohmann::json& config() const { return config_; }
  const config::SchemaValidator& instanceValidator() const { return *instance_validator_; }

  std::vector<std::unique_ptr<PluginInstance>>& instances() { return instances_; }
  const std::vector<std::unique_ptr<PluginInstance>>& instances() const { return instances_; }

private:
  std::unique_ptr<SharedLibrary> library_;
  const bb_plugin_descriptor* descriptor_;
  bool required_;
  nlohmann::json config_;
  std::unique_ptr<config::SchemaValidator> instance_validator_;
  std::vector<std::unique_ptr<PluginInstance>> instances_;
};

struct PluginSummary {
  std::string name;
  std::string kind;
  std::string version;
  std::string abi; // "0.1"
  std::string description;
  std::string path;
  bool required = true;
  std::vector<std::string> instances;
};

// What --list-plugins prints for each file on the search path.
struct DiscoveredPlugin {
  std::string path;
  std::optional<PluginSummary> summary; // set when the file could be queried
  std::string problem;                  // why it cannot be loaded; empty when compatible
};

// Finds, opens and queries a plugin without creating anything (side-effect free by the ABI).
struct ProbedPlugin {
  std::unique_ptr<SharedLibrary> library;
  const bb_plugin_descriptor* descriptor = nullptr;
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

  // --list-plugins: every *.so on the search path, queried.
  static std::vector<DiscoveredPlugin> discover(const std::vector<std::string>& search_path);

  // Creates an instance at run time (printers, notification providers). `settings` is validated
  // against the plugin's instance schema; std::invalid_argument names the failing path.
  PluginInstance& createInstance(const std::string& plugin_name, const std::string& instance_id,
                                 const nlohmann::json& settings);
  bool destroyInstance(const std::string& plugin_name, const std::string& instance_id);

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
  std::unique_ptr<InstanceContext> makeContext(const LoadedPlugin& plugin, const std::string& instance_id);

  HostServices services_;
  mutable std::shared_mutex mutex_;
  std::vector<std::unique_ptr<LoadedPlugin>> plugins_;
};

// Resolves a plugin name to a file: an explicit path wins; otherwise bb_<name, dots as '_'>.so in
// the first search path directory that has it. Returns "" and explains in `error` when absent.
std::string resolvePluginPath(const std::string& name, const std::string& explicit_path,
                              const std::vector<std::string>& search_path, std::string& error);

// Opens and queries a file; on failure returns an empty probe and explains in `error`.
ProbedPlugin probePlugin(const std::string& path, std::string& error);

} // namespace bambuddy::plugins
