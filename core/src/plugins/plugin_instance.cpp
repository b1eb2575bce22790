#include "plugins/plugin_instance.h"

#include <bambuddy/fd_io.hpp>

#include "common/logger.h"
#include "config/schema_validator.h"
#include "plugins/shared_library.h"

namespace bambuddy::plugins {

// ----- PluginInstance ------------------------------------------------------------------------

PluginInstance::PluginInstance(LoadedPlugin& plugin, std::shared_ptr<InstanceContext> ctx)
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
  std::shared_lock<std::shared_mutex> lock(ctx_->call_mutex);
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
  std::unique_lock<std::shared_mutex> lock(ctx_->call_mutex);
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
  ctx_->alive = true;
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
  std::unique_lock<std::shared_mutex> lock(ctx_->call_mutex);
  if (self_ != nullptr) {
    plugin_.descriptor().destroy(self_);
    self_ = nullptr;
  }
  ctx_->alive = false;
}

void PluginInstance::storagePut(const std::string& key, const std::string& data) {
  invoke([&](bb_error& err) {
    return ops<bb_storage_ops>()->put(self_, key.data(), key.size(), data.data(), data.size(), &err);
  });
}

void PluginInstance::storagePutFd(const std::string& key, int fd, uint64_t size) {
  const bb_storage_ops* table = ops<bb_storage_ops>();
  if (BB_HAS_FIELD(bb_storage_ops, table, put_fd) && table->put_fd != nullptr) {
    invoke([&](bb_error& err) { return table->put_fd(self_, key.data(), key.size(), fd, size, &err); });
    return;
  }
  std::string data(static_cast<size_t>(size), '\0');
  if (!sdk::preadAll(fd, data.data(), data.size())) {
    throw PluginCallError(BB_ERR_IO, "read_failed", "cannot read the file to store as " + key);
  }
  storagePut(key, data);
}

std::optional<PluginInstance::OpenedBlob> PluginInstance::storageOpenRead(const std::string& key) {
  const bb_storage_ops* table = ops<bb_storage_ops>();
  if (!BB_HAS_FIELD(bb_storage_ops, table, open_read) || table->open_read == nullptr) {
    throw PluginCallError(BB_ERR_UNSUPPORTED, "unsupported", "the store cannot open blobs as files");
  }
  OpenedBlob blob;
  try {
    invoke([&](bb_error& err) {
      return table->open_read(self_, key.data(), key.size(), &blob.fd, &blob.size, &err);
    });
  } catch (const PluginCallError& e) {
    if (e.code() == BB_ERR_NOT_FOUND) {
      return std::nullopt;
    }
    throw;
  }
  if (blob.fd < 0) {
    throw PluginCallError(BB_ERR_IO, "bad_descriptor", "the store returned no descriptor for " + key);
  }
  return blob;
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

bb_delivery_result PluginInstance::notifierSend(const std::string& notification_json, int64_t deadline_ms,
                                                const std::vector<bb_attachment>& attachments) {
  bb_delivery_result result{};
  result.struct_size = sizeof(bb_delivery_result);
  const bb_notifier_ops* table = ops<bb_notifier_ops>();
  const bool with_images = !attachments.empty() &&
                           BB_HAS_FIELD(bb_notifier_ops, table, send_with_attachments) &&
                           table->send_with_attachments != nullptr;
  invoke([&](bb_error& err) {
    if (with_images) {
      return table->send_with_attachments(self_, notification_json.data(), notification_json.size(),
                                          attachments.data(), attachments.size(), deadline_ms, &result, &err);
    }
    return table->send(self_, notification_json.data(), notification_json.size(), deadline_ms, &result, &err);
  });
  result.response_snippet[sizeof result.response_snippet - 1] = '\0';
  result.error[sizeof result.error - 1] = '\0';
  return result;
}

std::optional<std::string> PluginInstance::notifierPreview(const std::string& notification_json) {
  const bb_notifier_ops* table = ops<bb_notifier_ops>();
  if (!BB_HAS_FIELD(bb_notifier_ops, table, preview) || table->preview == nullptr) {
    return std::nullopt;
  }
  std::string out;
  invoke([&](bb_error& err) {
    return table->preview(self_, notification_json.data(), notification_json.size(), &appendTo, &out, &err);
  });
  return out;
}

int32_t PluginInstance::authenticate(const bb_auth_request& request, bb_principal& out, bb_error& err) {
  std::shared_lock<std::shared_mutex> lock(ctx_->call_mutex);
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
} // namespace bambuddy::plugins
