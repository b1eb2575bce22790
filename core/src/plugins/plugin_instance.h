// A loaded plugin library and its live instances: the only way the core calls into plugin code.
#pragma once

#include "plugins/host_services.h"

#include <bambuddy/abi.h>

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace bambuddy::config {
class SchemaValidator;
}

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

// One live instance. Op calls may run concurrently; destroy waits for them.
class PluginInstance {
public:
  PluginInstance(LoadedPlugin& plugin, std::shared_ptr<InstanceContext> ctx);
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
  // Stores the first `size` bytes of `fd` (the caller keeps and closes it) through put_fd, or
  // through put with the bytes read into memory when the plugin has no put_fd (ABI < 0.3 table).
  void storagePutFd(const std::string& key, int fd, uint64_t size);
  // A read-only descriptor (owned by the caller) and size of the blob; nullopt when absent.
  // Throws PluginCallError BB_ERR_UNSUPPORTED when the store cannot offer one (use storageGet).
  struct OpenedBlob {
    int fd = -1;
    uint64_t size = 0;
  };
  std::optional<OpenedBlob> storageOpenRead(const std::string& key);
  std::optional<std::string> storageGet(const std::string& key);
  bool storageRemove(const std::string& key);
  std::vector<std::pair<std::string, uint64_t>> storageList(const std::string& prefix);

  // Printer driver ops.
  void driverStart();
  void driverStop();
  std::string driverCommand(const std::string& command_json);
  std::string driverCapabilities();

  // Notifier ops. notifierSend returns the filled result and throws PluginCallError when the op
  // itself failed. With images it calls send_with_attachments when the plugin has it (ABI 0.6),
  // else send without them.
  bb_delivery_result notifierSend(const std::string& notification_json, int64_t deadline_ms,
                                  const std::vector<bb_attachment>& attachments = {});
  // The plugin's description of the message it would send (a JSON object as text); nullopt when
  // the plugin has no preview op. Throws PluginCallError when the op failed.
  std::optional<std::string> notifierPreview(const std::string& notification_json);

  // Auth op: returns BB_AUTH_* and fills `out`; `err` carries reason/message for BB_AUTH_INVALID.
  int32_t authenticate(const bb_auth_request& request, bb_principal& out, bb_error& err);

private:
  template <class Ops> const Ops* ops() const;
  template <class Fn> int32_t invoke(Fn&& fn);

  LoadedPlugin& plugin_;
  std::shared_ptr<InstanceContext> ctx_; // shared with the routes the instance registered
  void* self_ = nullptr;
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

} // namespace bambuddy::plugins
