// The core services a plugin instance reaches through bb_host_api, and the context behind each
// instance's opaque bb_host_ctx pointer.
#pragma once

#include <bambuddy/abi.h>

#include "plugins/route_bindings.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>

namespace bambuddy {
class Logger;
namespace bus {
class EventBus;
}
namespace storage {
class KvStore;
}
namespace http {
class Router;
class BodyCheck;
} // namespace http
} // namespace bambuddy

namespace bambuddy::plugins {

struct HostServices {
  Logger& logger;
  bus::EventBus& bus;
  storage::KvStore& kv;
  std::string data_dir;              // instance data dirs live under <data_dir>/plugins/<name>/<id>
  std::function<int64_t()> clock_ms; // UTC epoch ms; replaceable in tests
  http::Router* router = nullptr;    // where plugin routes go; null when the host serves no HTTP
  // Where report_status hands a driver's report (the status intake). Called on the driver's
  // thread; may wait briefly for room; false = refused. Unset: the report goes to the bus as
  // printer_status_reported (hosts without a printer registry, tests).
  std::function<bool(const std::string& plugin, const std::string& instance, nlohmann::json status)>
      report_status = nullptr;
  // Compiles a route's declared JSON body (register_route_with_body); `required` false reads an
  // empty body as {}. Throws std::invalid_argument for a schema it cannot use. Unset: plugins
  // cannot declare bodies (register_route_with_body answers BB_ERR_UNSUPPORTED).
  std::function<std::shared_ptr<const http::BodyCheck>(nlohmann::json schema, bool required)> body_check =
      nullptr;
  // Where printer_command (ABI 0.5) sends a plugin's pause/resume/stop: the printer id and the
  // command ({"action": ...}, already checked), returning the driver's result object. Throws
  // ServiceError (its HTTP status picks the ABI code). Unset: hosts without printers, where
  // printer_command answers BB_ERR_UNSUPPORTED.
  std::function<nlohmann::json(int64_t printer_id, const nlohmann::json& command)> printer_command = nullptr;
  // Several server instances share the farm (cluster/cluster_coordinator.h): the printer driver
  // instances declared in the config are not created at load but when this server instance takes
  // the printer's lease (PluginHost::createDeferred), so no printer is ever connected twice.
  bool defer_printer_instances = false;
  // Which instance serves each plugin route (shared by every instance of this host).
  std::shared_ptr<RouteBindings> route_bindings = std::make_shared<RouteBindings>();
};

// What bb_host_ctx points to. Created before `create`, destroyed after `destroy`.
struct InstanceContext : std::enable_shared_from_this<InstanceContext> {
  const HostServices* services = nullptr;
  std::string plugin_name;
  std::string instance_id;
  uint32_t kind = BB_KIND_INVALID;
  std::string data_dir;
  std::string log_component; // "plugin:<name>/<id>"

  std::mutex mutex;
  std::set<uint64_t> subscriptions; // bus subscription ids owned by this instance
  // JSON from the instance refused for its size or depth: logged at most once a minute with a
  // count, so a driver flooding bad reports cannot flood the log.
  int64_t refused_json_logged_at_ms = 0;
  uint64_t refused_json_since_log = 0;

  // Shared by every call into the instance (ops, route handlers), exclusive while it is created
  // and destroyed. `alive` is true between a successful create and destroy.
  std::shared_mutex call_mutex;
  bool alive = false;

  bb_host_ctx* handle() { return reinterpret_cast<bb_host_ctx*>(this); }
  static InstanceContext* from(bb_host_ctx* ctx) { return reinterpret_cast<InstanceContext*>(ctx); }
};

// The host function table handed to every plugin (static, lives for the whole process).
const bb_host_api* hostApi();

// Drops every bus subscription of the instance; when it returns no callback of it is running.
void dropSubscriptions(InstanceContext& ctx);

} // namespace bambuddy::plugins
