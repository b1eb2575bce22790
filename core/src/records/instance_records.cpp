#include "records/instance_records.h"

#include "common/logger.h"
#include "common/time.h"
#include "config/core_config.h"
#include "config/schema_validator.h"
#include "plugins/plugin_host.h"
#include "plugins/secret_binding.h"
#include "plugins/secret_fields.h"

namespace bambuddy::records {

namespace {

using nlohmann::json;

json timeOrNull(int64_t ms) {
  return ms > 0 ? json(formatUtcSeconds(ms)) : json(nullptr);
}

} // namespace

InstanceRecords::InstanceRecords(RecordKind kind, plugins::PluginHost& plugins, Logger& logger,
                                 std::function<int64_t()> clock_ms)
    : kind_(std::move(kind)), plugins_(plugins), logger_(logger), clock_ms_(std::move(clock_ms)) {}

// ----- plugins of the kind -----------------------------------------------------------------------

bool InstanceRecords::isKindPlugin(const std::string& plugin) const {
  const plugins::LoadedPlugin* loaded = plugins_.find(plugin);
  if (loaded == nullptr || loaded->descriptor().kind != kind_.plugin_kind) {
    return false;
  }
  return kind_.name_prefix.empty() ||
         (plugin.size() > kind_.name_prefix.size() && plugin.rfind(kind_.name_prefix, 0) == 0);
}

bool InstanceRecords::pluginLoaded(const std::string& plugin) const {
  return plugins_.find(plugin) != nullptr;
}

std::string InstanceRecords::pluginFor(const std::string& field_value) const {
  return kind_.name_prefix + field_value;
}

std::string InstanceRecords::fieldValueOf(const std::string& plugin) const {
  if (!kind_.name_prefix.empty() && plugin.rfind(kind_.name_prefix, 0) == 0) {
    return plugin.substr(kind_.name_prefix.size());
  }
  return plugin;
}

void InstanceRecords::requirePlugin(const std::string& plugin) const {
  if (isKindPlugin(plugin)) {
    return;
  }
  std::string loaded;
  for (const plugins::PluginSummary& summary : plugins_.summaries()) {
    if (isKindPlugin(summary.name)) {
      loaded += (loaded.empty() ? "" : ", ") + fieldValueOf(summary.name);
    }
  }
  throw ServiceError(ServiceError::Kind::Invalid, "invalid_" + kind_.plugin_field,
                     kind_.plugin_field + ": '" + fieldValueOf(plugin) + "' is not a loaded " +
                         kind_.plugin_label + " (loaded: " + (loaded.empty() ? std::string("none") : loaded) +
                         ")");
}

std::string InstanceRecords::schemaOf(const std::string& plugin) const {
  const plugins::LoadedPlugin* loaded = plugins_.find(plugin);
  if (loaded == nullptr || loaded->descriptor().instance_schema == nullptr) {
    return "";
  }
  return loaded->descriptor().instance_schema;
}

std::vector<ConfiguredInstance> InstanceRecords::configured(const config::CoreConfig& config) const {
  std::vector<ConfiguredInstance> out;
  for (const config::PluginEntryConfig& entry : config.plugins) {
    const plugins::LoadedPlugin* loaded = plugins_.find(entry.name);
    if (loaded == nullptr || loaded->descriptor().kind != kind_.plugin_kind) {
      continue;
    }
    if (!isKindPlugin(entry.name)) {
      logger_.warn(kind_.log_component, "plugin '" + entry.name + "' is not named " + kind_.name_prefix +
                                            "<" + kind_.plugin_field + ">: its instances are ignored");
      continue;
    }
    for (const config::PluginInstanceConfig& instance : entry.instances) {
      out.push_back({entry.name, &instance});
    }
  }
  return out;
}

// ----- settings ----------------------------------------------------------------------------------

void InstanceRecords::checkSettings(const std::string& plugin, const json& settings) const {
  const plugins::LoadedPlugin* loaded = plugins_.find(plugin);
  if (loaded == nullptr) {
    requirePlugin(plugin); // throws
    return;
  }
  auto issues = loaded->instanceValidator().validate(settings);
  if (issues.empty()) {
    return;
  }
  std::string text;
  json errors = json::array();
  for (const config::SchemaIssue& issue : issues) {
    std::string path = issue.path.empty() ? "settings" : "settings." + issue.path;
    text += (text.empty() ? "" : "; ") + path + ": " + issue.message;
    errors.push_back({{"path", path}, {"message", issue.message}});
  }
  throw ServiceError(ServiceError::Kind::Invalid, "invalid_settings", text, {{"errors", errors}});
}

json InstanceRecords::mergedSettings(const InstanceRecord& record, json patch) const {
  const std::string schema = schemaOf(record.plugin);
  if (kind_.always_secret && patch.is_object()) {
    for (const std::string& field : kind_.always_secret(record.plugin, schema)) {
      auto it = patch.find(field);
      if (it != patch.end() && *it == plugins::kSecretMask) {
        patch.erase(it); // its mask sent back: keep the stored value
      }
    }
  }
  json merged = plugins::mergeSettings(record.settings, patch, schema);
  plugins::DestinationChange change = plugins::checkDestinationChange(record.settings, patch, merged, schema);
  if (change.refused()) {
    json fields = json::array();
    for (const std::string& f : change.missing_secrets) {
      fields.push_back("settings." + f);
    }
    throw ServiceError(ServiceError::Kind::Invalid, "secret_required",
                       plugins::secretRequiredMessage(change, kind_.noun), {{"fields", fields}});
  }
  return merged;
}

std::optional<json> InstanceRecords::patchSettings(const InstanceRecord& record, const json& patch) const {
  json merged = mergedSettings(record, patch);
  if (merged == record.settings) {
    return std::nullopt;
  }
  checkSettings(record.plugin, merged);
  return merged;
}

json InstanceRecords::redactedSettings(const InstanceRecord& record) const {
  const std::string schema = schemaOf(record.plugin);
  json settings = plugins::redactSecrets(record.settings, schema);
  if (kind_.always_secret && settings.is_object()) {
    for (const std::string& field : kind_.always_secret(record.plugin, schema)) {
      auto it = settings.find(field);
      if (it != settings.end() && !it->is_null()) {
        *it = plugins::kSecretMask; // even when the plugin's schema forgot to mark it
      }
    }
  }
  return settings;
}

json InstanceRecords::describe(const InstanceRecord& record) const {
  return {{"id", record.id},
          {"name", record.name},
          {kind_.plugin_field, fieldValueOf(record.plugin)},
          {"instance_id", record.instance_id},
          {"source", record.source},
          {"settings", redactedSettings(record)},
          {"created_at", timeOrNull(record.created_at_ms)},
          {"updated_at", timeOrNull(record.updated_at_ms)}};
}

// ----- refusals ----------------------------------------------------------------------------------

ServiceError InstanceRecords::notFound(int64_t id) const {
  return ServiceError(ServiceError::Kind::NotFound, "not_found",
                      "no " + kind_.noun + " with id " + std::to_string(id));
}

ServiceError InstanceRecords::declaredInConfig(const InstanceRecord& record,
                                               const std::string& what_to_do) const {
  return ServiceError(ServiceError::Kind::Conflict, "declared_in_config",
                      "this " + kind_.noun + " is declared in the config file (plugins.load[].instances of " +
                          record.plugin + ", id " + record.instance_id + "); " + what_to_do);
}

// ----- instance lifecycle ------------------------------------------------------------------------

plugins::PluginInstance& InstanceRecords::createInstance(const InstanceRecord& record) {
  return plugins_.createInstance(record.plugin, record.instance_id, record.settings);
}

void InstanceRecords::stopInstance(const InstanceRecord& record) {
  destroyInstance(record);
}

void InstanceRecords::destroyInstance(const InstanceRecord& record) {
  plugins_.destroyInstance(record.plugin, record.instance_id);
}

std::string InstanceRecords::startInstance(const InstanceRecord& record) {
  std::string problem;
  if (!isKindPlugin(record.plugin)) {
    problem = "the plugin " + record.plugin + " is not loaded (add it to plugins.load)";
  } else if (!record.fromConfig()) {
    try {
      createInstance(record);
    } catch (const std::exception& e) {
      problem = std::string("its plugin instance could not be created: ") + e.what();
    }
  } else if (plugins_.findInstance(record.plugin, record.instance_id) == nullptr) {
    try {
      // Several server instances: the config instance is created once this one takes the printer.
      if (plugins_.createDeferred(record.plugin, record.instance_id) == nullptr) {
        problem = "its plugin instance did not start (see the server log)";
      }
    } catch (const std::exception& e) {
      problem = std::string("its plugin instance could not be created: ") + e.what();
    }
  }
  if (!problem.empty()) {
    logger_.warn(kind_.log_component,
                 kind_.noun + " " + std::to_string(record.id) + " ('" + record.name + "'): " + problem);
  }
  return problem;
}

plugins::PluginInstance& InstanceRecords::replaceInstance(const InstanceRecord& record, const json& settings,
                                                          std::string& problem) {
  destroyInstance(record);
  try {
    plugins::PluginInstance& instance = plugins_.createInstance(record.plugin, record.instance_id, settings);
    problem.clear();
    return instance;
  } catch (const std::exception& e) {
    try {
      createInstance(record); // a refused change changes nothing
      problem.clear();
    } catch (const std::exception& again) {
      problem = std::string("its plugin instance could not be created: ") + again.what();
      logger_.warn(kind_.log_component,
                   kind_.noun + " " + std::to_string(record.id) + " ('" + record.name + "'): " + problem);
    }
    refuseSettings(e);
  }
}

void InstanceRecords::refuseSettings(const std::exception& e) const {
  if (const auto* refusal = dynamic_cast<const ServiceError*>(&e)) {
    throw *refusal;
  }
  throw ServiceError(ServiceError::Kind::Invalid, "invalid_settings", std::string("settings: ") + e.what());
}

// ----- log lines ---------------------------------------------------------------------------------

void InstanceRecords::logMirrored(const InstanceRecord& record) const {
  logger_.info(kind_.log_component, kind_.noun + " '" + record.name + "' (" + record.plugin + "/" +
                                        record.instance_id + ") from the config file has id " +
                                        std::to_string(record.id));
}

void InstanceRecords::logRemoved(const InstanceRecord& record, bool from_file) const {
  logger_.info(kind_.log_component,
               kind_.noun + " " + std::to_string(record.id) + " ('" + record.name + "') " +
                   (from_file ? "is no longer in the config file and was removed" : "removed"));
}

void InstanceRecords::logCreated(const InstanceRecord& record) const {
  logger_.info(kind_.log_component, kind_.noun + " " + std::to_string(record.id) + " ('" + record.name +
                                        "', " + record.plugin + ") added");
}

} // namespace bambuddy::records
