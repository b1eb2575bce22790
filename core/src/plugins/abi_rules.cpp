#include "plugins/abi_rules.h"

#include "common/json_parse.h"

#include <nlohmann/json.hpp>

#include <regex>

namespace bambuddy::plugins {

std::string abiString(uint32_t major, uint32_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

std::optional<std::string> checkAbiVersion(uint32_t host_major, uint32_t host_minor, uint32_t plugin_major,
                                           uint32_t plugin_minor) {
  std::string versions = "plugin ABI " + abiString(plugin_major, plugin_minor) + ", host ABI " +
                         abiString(host_major, host_minor);
  if (plugin_major != host_major) {
    return "ABI major version differs (" + versions + ")";
  }
  if (plugin_minor > host_minor) {
    return "plugin was built for a newer ABI minor version (" + versions + ")";
  }
  if (host_major == 0 && plugin_minor != host_minor) {
    return "ABI 0.x requires the exact minor version (" + versions + ")";
  }
  return std::nullopt;
}

std::string kindName(uint32_t kind) {
  switch (kind) {
  case BB_KIND_PRINTER_DRIVER:
    return "printer_driver";
  case BB_KIND_AUTH:
    return "auth";
  case BB_KIND_STORAGE:
    return "storage";
  case BB_KIND_NOTIFIER:
    return "notifier";
  default:
    return "invalid(" + std::to_string(kind) + ")";
  }
}

bool isValidPluginName(const std::string& name) {
  static const std::regex pattern("^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$");
  return name.size() <= 128 && std::regex_match(name, pattern);
}

namespace {

// The smallest ops table the host accepts for each kind: every function of ABI 0.1.
size_t minimumOpsSize(uint32_t kind) {
  switch (kind) {
  case BB_KIND_PRINTER_DRIVER:
    return sizeof(bb_printer_driver_ops);
  case BB_KIND_AUTH:
    return sizeof(bb_auth_ops);
  case BB_KIND_STORAGE:
    return sizeof(bb_storage_ops);
  case BB_KIND_NOTIFIER:
    return sizeof(bb_notifier_ops);
  default:
    return 0;
  }
}

bool opsComplete(uint32_t kind, const void* ops) {
  switch (kind) {
  case BB_KIND_PRINTER_DRIVER: {
    auto o = static_cast<const bb_printer_driver_ops*>(ops);
    return o->start && o->stop && o->command && o->capabilities;
  }
  case BB_KIND_AUTH:
    return static_cast<const bb_auth_ops*>(ops)->authenticate != nullptr;
  case BB_KIND_STORAGE: {
    auto o = static_cast<const bb_storage_ops*>(ops);
    return o->put && o->get && o->remove && o->list;
  }
  case BB_KIND_NOTIFIER:
    return static_cast<const bb_notifier_ops*>(ops)->send != nullptr;
  default:
    return false;
  }
}

std::optional<std::string> checkSchema(const char* text, const char* which) {
  if (text == nullptr) {
    return std::string(which) + " is NULL";
  }
  // The schemas are parsed again and walked recursively (validation, defaults, secret fields):
  // refusing a too deep one here, at load, bounds all of that.
  std::string problem;
  nlohmann::json schema = parseJsonLimited(text, &problem);
  if (schema.is_discarded()) {
    return std::string(which) + " is " +
           (problem.rfind("not valid", 0) == 0 ? problem : "refused: " + problem);
  }
  if (!schema.is_object()) {
    return std::string(which) + " must be a JSON object";
  }
  return std::nullopt;
}

} // namespace

std::optional<std::string> checkDescriptor(const bb_plugin_descriptor* d, uint32_t host_major,
                                           uint32_t host_minor) {
  if (d == nullptr) {
    return "bb_plugin_query returned NULL (the plugin declined this host)";
  }
  // Fields up to abi_minor exist in every version of the descriptor; read them first so the
  // refusal can name the plugin's ABI.
  if (d->struct_size < offsetof(bb_plugin_descriptor, kind)) {
    return "descriptor struct_size " + std::to_string(d->struct_size) + " is too small";
  }
  if (auto reason = checkAbiVersion(host_major, host_minor, d->abi_major, d->abi_minor)) {
    return reason;
  }
  if (d->struct_size > sizeof(bb_plugin_descriptor)) {
    return "descriptor struct_size " + std::to_string(d->struct_size) + " is larger than this host knows (" +
           std::to_string(sizeof(bb_plugin_descriptor)) + "); plugin ABI " +
           abiString(d->abi_major, d->abi_minor) + ", host ABI " + abiString(host_major, host_minor);
  }
  if (!BB_HAS_FIELD(bb_plugin_descriptor, d, ops)) {
    return "descriptor struct_size " + std::to_string(d->struct_size) + " is smaller than ABI " +
           abiString(host_major, host_minor) + " requires (" + std::to_string(sizeof(bb_plugin_descriptor)) +
           ")";
  }
  if (d->kind < BB_KIND_PRINTER_DRIVER || d->kind > BB_KIND_NOTIFIER) {
    return "descriptor kind " + std::to_string(d->kind) + " is not a known plugin kind";
  }
  if (d->name == nullptr || !isValidPluginName(d->name)) {
    return std::string("descriptor name '") + (d->name ? d->name : "(null)") +
           "' is not a dotted lower-case name like 'storage.local'";
  }
  if (d->version == nullptr || *d->version == '\0') {
    return "descriptor version is empty";
  }
  if (d->create == nullptr || d->destroy == nullptr || d->ops == nullptr) {
    return "descriptor lacks create, destroy or ops";
  }
  uint32_t ops_size = *static_cast<const uint32_t*>(d->ops);
  if (ops_size < minimumOpsSize(d->kind)) {
    return kindName(d->kind) + " ops struct_size " + std::to_string(ops_size) +
           " is smaller than required (" + std::to_string(minimumOpsSize(d->kind)) + ")";
  }
  if (ops_size > minimumOpsSize(d->kind)) {
    return kindName(d->kind) + " ops struct_size " + std::to_string(ops_size) +
           " is larger than this host knows (" + std::to_string(minimumOpsSize(d->kind)) + ")";
  }
  if (!opsComplete(d->kind, d->ops)) {
    return kindName(d->kind) + " ops table has NULL functions";
  }
  if (auto e = checkSchema(d->config_schema, "config_schema")) {
    return e;
  }
  if (auto e = checkSchema(d->instance_schema, "instance_schema")) {
    return e;
  }
  return std::nullopt;
}

} // namespace bambuddy::plugins
