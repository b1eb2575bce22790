#include "notifications/notification_service.h"

#include "notifications/provider_entry.h"

#include "common/logger.h"
#include "common/time.h"
#include "config/config_error.h"
#include "config/core_config.h"
#include "config/json_pointer.h"
#include "config/schema_validator.h"
#include "notifications/event_catalog.h"
#include "notifications/generated_secrets.h"
#include "notifications/notification_error.h"
#include "notifications/time_zone.h"
#include "plugins/plugin_host.h"
#include "plugins/secret_binding.h"
#include "plugins/secret_fields.h"

#include <algorithm>

namespace bambuddy::notifications {

namespace {

using nlohmann::json;
using Kind = NotificationError::Kind;

constexpr const char* kComponent = "notifications";

json timeOrNull(int64_t ms) {
  return ms > 0 ? json(formatUtcSeconds(ms)) : json(nullptr);
}

records::RecordKind providerKind() {
  records::RecordKind kind;
  kind.noun = "notification provider";
  kind.log_component = kComponent;
  kind.plugin_kind = BB_KIND_NOTIFIER;
  kind.plugin_label = "notifier type";
  kind.plugin_field = "type";
  kind.name_prefix = ProviderRecord::kPluginPrefix;
  // A generated signing secret is masked even when the plugin's schema forgot to mark it secret;
  // the previous one kept for a rotation's grace period too.
  kind.always_secret = [](const std::string& plugin, const std::string& schema) {
    std::vector<std::string> fields = generatedSecretFields(schema, ProviderRecord::typeOf(plugin));
    fields.push_back("previous_secret");
    return fields;
  };
  return kind;
}

bool reservedInstanceId(const std::string& id) {
  const std::string prefix = "provider-";
  return id.size() > prefix.size() && id.rfind(prefix, 0) == 0 &&
         id.find_first_not_of("0123456789", prefix.size()) == std::string::npos;
}

} // namespace

NotificationSettings settingsFromConfig(const config::CoreConfig& config) {
  const config::NotificationsConfig& n = config.notifications;
  NotificationSettings s;
  s.engine.retry.schedule_ms = n.retry_schedule_ms;
  s.engine.retry.jitter = n.retry_jitter;
  s.engine.attempt_timeout_ms = n.attempt_timeout_ms;
  s.engine.workers_per_provider = n.workers_per_provider;
  s.engine.max_queued_per_provider = static_cast<size_t>(std::max(1, n.max_queued_per_provider));
  s.engine.max_attachment_bytes = n.max_attachment_bytes;
  s.engine.retention_ms = int64_t{n.delivery_retention_days} * 24 * 3600 * 1000;
  s.disable_after_failing_ms = n.disable_after_failing_ms;
  return s;
}

NotificationService::NotificationService(storage::Database& db, plugins::PluginHost& plugins, Logger& logger,
                                         std::function<int64_t()> clock_ms, NotificationSettings settings)
    : db_(db), plugins_(plugins), logger_(logger), clock_ms_(std::move(clock_ms)),
      settings_(std::move(settings)), records_(providerKind(), plugins, logger, clock_ms_), store_(db),
      outbox_(db), engine_(outbox_, plugins, logger, clock_ms_, settings_.engine, *this),
      tests_(settings_.test_threads, settings_.test_queue) {}

NotificationService::~NotificationService() {
  stop();
}

// ----- lifecycle ------------------------------------------------------------------------------

void NotificationService::setDelivering(bool deliver) {
  if (deliver) {
    engine_.start();
  } else {
    engine_.stop();
  }
}

void NotificationService::start(const config::CoreConfig& config, bool deliver) {
  std::vector<ProviderPtr> adopted;
  {
    std::vector<ProviderRecord> rows = mirrorConfigured(config);
    std::lock_guard<std::mutex> lock(mutex_);
    for (ProviderRecord& record : rows) {
      adopted.push_back(adopt(std::move(record)));
    }
  }
  for (const ProviderPtr& p : adopted) {
    // Not shared yet (REST is not serving): the record needs no lock.
    std::unique_lock<std::shared_mutex> instance_lock(p->slot->instance_mutex);
    std::string problem = records_.startInstance(p->record);
    instance_lock.unlock();
    if (!problem.empty()) {
      std::lock_guard<std::mutex> lock(mutex_);
      p->problem = std::move(problem);
    }
  }
  if (deliver) {
    engine_.start();
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    started_ = true;
  }
  routeHeld();
  logger_.info(kComponent, std::to_string(adopted.size()) + " notification provider(s)");
}

void NotificationService::stop() {
  tests_.stop(); // tests in flight end by their deadline; queued ones stay pending for the scheduler
  engine_.stop();
}

std::vector<ProviderRecord> NotificationService::mirrorConfigured(const config::CoreConfig& config) {
  for (const config::PluginEntryConfig& entry : config.plugins) {
    const plugins::LoadedPlugin* plugin = plugins_.find(entry.name);
    if (plugin == nullptr || plugin->descriptor().kind == BB_KIND_NOTIFIER) {
      continue;
    }
    for (const config::PluginInstanceConfig& instance : entry.instances) {
      if (!instance.routing.empty()) {
        logger_.warn(kComponent, "plugins.load[].instances '" + instance.id + "' of " + entry.name +
                                     ": events, printer_ids and quiet_hours apply to notifier plugins only; "
                                     "ignored");
      }
    }
  }
  std::vector<ProviderRecord> configured;
  std::vector<config::ConfigError> errors;
  for (const records::ConfiguredInstance& c : records_.configured(config)) {
    const config::PluginInstanceConfig& instance = *c.instance;
    auto fail = [&](const std::string& key, const std::string& message) {
      std::string pointer = key.empty() ? instance.pointer : config::childPointer(instance.pointer, key);
      errors.push_back({config.document.file, config.document.lineOf(pointer),
                        config::displayPath(pointer, &config.document.json), message});
    };
    if (reservedInstanceId(instance.id)) {
      fail("id", "ids of the form provider-<number> are reserved for providers created over the API");
      continue;
    }
    ProviderRecord r;
    r.name = instance.name.empty() ? instance.id : instance.name;
    r.plugin = c.plugin;
    r.instance_id = instance.id;
    try {
      r.routing = parseRouting(instance.routing, ProviderRouting{});
      if (r.routing.quiet_hours) {
        zoneFor(r.routing, "quiet_hours.timezone");
      }
    } catch (const NotificationError& e) {
      std::string message = e.what();
      std::string key = message.substr(0, message.find_first_of(".:["));
      fail(key, message.substr(message.find(": ") == std::string::npos ? 0 : message.find(": ") + 2));
      continue;
    }
    configured.push_back(std::move(r));
  }
  if (!errors.empty()) {
    throw config::ConfigException(std::move(errors));
  }
  // The file is the truth for its fields; a restart also re-enables a provider the server disabled
  // (the operator restarts after fixing the receiver).
  return records_.mirror<ProviderRecord>(
      store_, configured, [&](ProviderRecord& stored, const ProviderRecord& c) {
        stored.routing = c.routing;
        if (!stored.enabled) {
          logger_.info(kComponent, "provider " + std::to_string(stored.id) + " ('" + stored.name +
                                       "') from the config file is enabled again (it was disabled: " +
                                       stored.disabled_reason + ")");
        }
        stored.enabled = true;
        stored.disabled_reason.clear();
        stored.disabled_at_ms = 0;
        return true;
      });
}

NotificationService::ProviderPtr NotificationService::adopt(ProviderRecord record) {
  auto p = std::make_shared<Provider>();
  p->slot = std::make_shared<ProviderSlot>(record.id, record.plugin, record.instance_id);
  p->slot->enabled = record.enabled;
  if (record.routing.quiet_hours) {
    try {
      p->zone = zoneFor(record.routing, "quiet_hours.timezone");
    } catch (const NotificationError& e) {
      logger_.warn(kComponent, "provider " + std::to_string(record.id) + ": " + e.what() + "; using UTC");
    }
  }
  p->record = std::move(record);
  providers_[p->record.id] = p;
  engine_.addProvider(p->slot);
  return p;
}

// ----- helpers --------------------------------------------------------------------------------

NotificationService::ProviderPtr NotificationService::find(int64_t id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = providers_.find(id);
  return it == providers_.end() ? nullptr : it->second;
}

std::shared_ptr<const TimeZone> NotificationService::zoneFor(const ProviderRouting& routing,
                                                             const std::string& path) {
  if (!routing.quiet_hours) {
    return nullptr;
  }
  const std::string& name = routing.quiet_hours->timezone;
  std::lock_guard<std::mutex> lock(zones_mutex_);
  auto it = zones_.find(name);
  if (it != zones_.end()) {
    return it->second;
  }
  std::string error;
  auto zone = TimeZone::load(name, error);
  if (zone == nullptr) {
    throw NotificationError(Kind::Invalid, "invalid_quiet_hours", path + ": " + error);
  }
  zones_[name] = zone;
  return zone;
}

ProviderRouting NotificationService::parseRouting(const json& body, const ProviderRouting& current) {
  ProviderRouting out = current;
  if (body.contains("events")) {
    out.events = parseEvents(body["events"]);
  }
  if (body.contains("printer_ids")) {
    out.printer_ids = parsePrinterIds(body["printer_ids"]);
  }
  if (body.contains("quiet_hours")) {
    if (body["quiet_hours"].is_null()) {
      out.quiet_hours.reset();
    } else {
      out.quiet_hours = parseQuietHours(body["quiet_hours"]);
    }
  }
  return out;
}

json NotificationService::providerJson(const Provider& p) const {
  const ProviderRecord& r = p.record;
  json out = records_.describe(r); // id, name, type, instance_id, source, settings (redacted), times
  out.update({{"plugin", r.plugin},
              {"enabled", r.enabled},
              {"disabled_reason", r.disabled_reason.empty() ? json(nullptr) : json(r.disabled_reason)},
              {"disabled_at", timeOrNull(r.disabled_at_ms)},
              {"failing_since", timeOrNull(r.failing_since_ms)},
              {"events", eventsJson(r.routing)},
              {"printer_ids", printerIdsJson(r.routing)},
              {"quiet_hours", quietHoursJson(r.routing)},
              {"problem", p.problem.empty() ? json(nullptr) : json(p.problem)}});
  return out;
}

void NotificationService::recreateInstance(Provider& p, const json& settings) {
  ProviderRecord record;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    record = p.record;
  }
  std::unique_lock<std::shared_mutex> instance_lock(p.slot->instance_mutex); // waits for an attempt in flight
  std::string problem;
  try {
    records_.replaceInstance(record, settings, problem);
  } catch (const ServiceError&) {
    std::lock_guard<std::mutex> lock(mutex_);
    p.problem = problem; // "" when the previous instance runs again
    throw;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  p.problem.clear();
}

// ----- REST on providers ------------------------------------------------------------------------

json NotificationService::types() const {
  json out = json::array();
  for (const plugins::PluginSummary& summary : plugins_.summaries()) {
    if (!records_.isKindPlugin(summary.name)) {
      continue;
    }
    const plugins::LoadedPlugin* plugin = plugins_.find(summary.name);
    const std::string type = records_.fieldValueOf(summary.name);
    const char* schema = plugin->descriptor().instance_schema;
    out.push_back({{"type", type},
                   {"plugin", summary.name},
                   {"version", summary.version},
                   {"description", summary.description},
                   {"settings_schema", json::parse(schema != nullptr ? schema : "{}", nullptr, false)},
                   {"generated_secrets", generatedSecretFields(schema != nullptr ? schema : "", type)}});
  }
  return out;
}

json NotificationService::events() const {
  json out = json::array();
  for (const EventInfo& info : eventCatalog()) {
    out.push_back({{"event", info.name},
                   {"description", info.description},
                   {"sample", makeNotification("evt_5f1c2a9b7d3e4f60a1b2c3d4", info.name, 1705329000000,
                                               info.sample)}});
  }
  return out;
}

json NotificationService::list() const {
  std::lock_guard<std::mutex> lock(mutex_);
  json out = json::array();
  for (const auto& [id, p] : providers_) {
    out.push_back(providerJson(*p));
  }
  return out;
}

json NotificationService::get(int64_t id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = providers_.find(id);
  if (it == providers_.end()) {
    throw records_.notFound(id);
  }
  return providerJson(*it->second);
}

// Keys, types and lengths of `body` were checked by the route's body schema
// (api/notification_routes.cpp); what is left here needs the loaded plugins or the time zones.
json NotificationService::create(const json& body) {
  ProviderRecord record;
  record.plugin = records_.pluginFor(body["type"].get<std::string>());
  records_.requirePlugin(record.plugin);
  record.name = body.at("name").get<std::string>();
  if (body.contains("enabled")) {
    record.enabled = body["enabled"].get<bool>();
  }
  record.routing = parseRouting(body, ProviderRouting{});
  zoneFor(record.routing, "quiet_hours.timezone");

  // Secrets the operator left out are made here and shown once, in this answer.
  json settings = body.value("settings", json::object());
  json generated = json::object();
  for (const std::string& field : generatedSecretFields(records_.schemaOf(record.plugin), record.type())) {
    auto it = settings.find(field);
    if (it == settings.end() || it->is_null() || (it->is_string() && it->get<std::string>().empty())) {
      settings[field] = generateWebhookSecret();
      generated[field] = settings[field];
    }
  }
  records_.checkSettings(record.plugin, settings);
  record.settings = std::move(settings);

  json out;
  records_.create<ProviderRecord>(store_, std::move(record),
                                  [&](const ProviderRecord& stored, plugins::PluginInstance&) {
                                    std::lock_guard<std::mutex> lock(mutex_);
                                    out = providerJson(*adopt(stored));
                                  });
  if (!generated.empty()) {
    out["secret"] = generated.begin().value(); // shown once; never again
  }
  announceChange();
  return out;
}

json NotificationService::update(int64_t id, const json& body) {
  ProviderPtr p = find(id);
  if (!p) {
    throw records_.notFound(id);
  }
  std::lock_guard<std::mutex> admin(p->admin);
  ProviderRecord record;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    record = p->record;
  }
  if (record.fromConfig()) {
    throw records_.declaredInConfig(record, "change it there and restart");
  }
  std::optional<std::string> name;
  if (body.contains("name")) {
    name = body["name"].get<std::string>();
  }
  std::optional<bool> enabled;
  if (body.contains("enabled")) {
    enabled = body["enabled"].get<bool>();
  }
  ProviderRouting routing = parseRouting(body, record.routing);
  std::shared_ptr<const TimeZone> zone = zoneFor(routing, "quiet_hours.timezone");
  std::optional<json> settings;
  if (body.contains("settings")) {
    settings = records_.patchSettings(record, body["settings"]);
    if (settings) {
      recreateInstance(*p, *settings);
    }
  }

  bool disabling = false;
  json out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ProviderRecord& r = p->record;
    if (name) {
      r.name = *name;
    }
    if (settings) {
      r.settings = *settings;
    }
    r.routing = routing;
    p->zone = zone;
    if (enabled && *enabled != r.enabled) {
      r.enabled = *enabled;
      p->slot->enabled = *enabled;
      disabling = !*enabled;
      if (*enabled) {
        r.disabled_reason.clear(); // a fresh start: the failure clock restarts too
        r.disabled_at_ms = 0;
        r.failing_since_ms = 0;
      } else {
        r.disabled_reason.clear();
        r.disabled_at_ms = clock_ms_();
      }
    }
    r.updated_at_ms = clock_ms_();
    store_.update(r);
    out = providerJson(*p);
  }
  if (disabling) {
    engine_.cancelPending(id, "the provider was disabled by a user");
  } else if (enabled && *enabled) {
    engine_.wakeAt(0);
  }
  announceChange();
  return out;
}

void NotificationService::remove(int64_t id) {
  ProviderPtr p = find(id);
  if (!p) {
    throw records_.notFound(id);
  }
  std::lock_guard<std::mutex> admin(p->admin);
  ProviderRecord record;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    record = p->record;
    if (record.fromConfig()) {
      throw records_.declaredInConfig(record, "remove it there and restart");
    }
    providers_.erase(id); // the router stops matching it
  }
  engine_.removeProvider(id); // waits for its attempts in flight
  {
    std::unique_lock<std::shared_mutex> instance_lock(p->slot->instance_mutex);
    records_.remove<ProviderRecord>(store_, record); // its delivery log goes with it
  }
  announceChange();
}

json NotificationService::rotateSecret(int64_t id, const json& body) {
  // grace_period_s: 0..30 days, checked by the route's body schema.
  const int64_t grace_s = body.value("grace_period_s", int64_t{86400});
  ProviderPtr p = find(id);
  if (!p) {
    throw records_.notFound(id);
  }
  std::lock_guard<std::mutex> admin(p->admin);
  ProviderRecord record;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    record = p->record;
  }
  if (record.fromConfig()) {
    throw records_.declaredInConfig(record, "change it there and restart");
  }
  const std::string schema = records_.schemaOf(record.plugin);
  std::vector<std::string> fields = generatedSecretFields(schema, record.type());
  if (fields.empty()) {
    throw NotificationError(Kind::Unsupported, "unsupported",
                            "providers of type " + record.type() + " have no generated secret to rotate");
  }
  const std::string& field = fields.front();
  const int64_t now = clock_ms_();
  json settings = record.settings;
  std::string old =
      settings.contains(field) && settings[field].is_string() ? settings[field].get<std::string>() : "";
  const std::string fresh = generateWebhookSecret();
  settings[field] = fresh;
  int64_t expires_ms = 0;
  if (grace_s > 0 && !old.empty() && schemaHasProperty(schema, "previous_secret")) {
    settings["previous_secret"] = old;
    if (schemaHasProperty(schema, "previous_secret_expires_ms")) {
      expires_ms = now + grace_s * 1000;
      settings["previous_secret_expires_ms"] = expires_ms;
    }
  } else {
    settings.erase("previous_secret");
    settings.erase("previous_secret_expires_ms");
  }
  records_.checkSettings(record.plugin, settings);
  recreateInstance(*p, settings);
  json out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    p->record.settings = settings;
    p->record.updated_at_ms = now;
    store_.update(p->record);
    out = {
        {"secret", fresh},
        {"previous_secret_expires_at", expires_ms > 0 ? json(formatUtcSeconds(expires_ms)) : json(nullptr)},
        {"provider", providerJson(*p)}};
  }
  logger_.info(kComponent, "provider " + std::to_string(id) + ": signing secret rotated");
  announceChange();
  return out;
}

} // namespace bambuddy::notifications
