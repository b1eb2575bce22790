// The preview route's work: the message a provider's plugin would send for an event, described by
// the plugin itself (notifier op `preview`, ABI 0.6) so every type, including third-party ones,
// shows its own title, text and fields from its own templates. Nothing is sent.
#include "notifications/notification_service.h"

#include "common/logger.h"
#include "notifications/event_catalog.h"
#include "notifications/generated_secrets.h"
#include "notifications/notification_error.h"
#include "notifications/provider_entry.h"
#include "plugins/plugin_host.h"
#include "plugins/plugin_instance.h"

#include <atomic>
#include <shared_mutex>

namespace bambuddy::notifications {

namespace {

using nlohmann::json;
using Kind = NotificationError::Kind;

// The event id every preview carries: shaped like a real one, and never one the journal makes
// (those are random).
constexpr const char* kPreviewEventId = "evt_000000000000000000000000";
constexpr int kMaxPreviewInstances = 2;

const EventInfo* findEvent(const std::string& name) {
  for (const EventInfo& info : eventCatalog()) {
    if (info.name == name) {
      return &info;
    }
  }
  return nullptr;
}

// What the plugin wrote, checked: a JSON object with string "title" and "message".
json checkedDescription(const std::string& text, const std::string& type) {
  json described = json::parse(text, nullptr, false);
  if (!described.is_object() || !described.contains("title") || !described["title"].is_string() ||
      !described.contains("message") || !described["message"].is_string()) {
    throw NotificationError(502, "bad_preview",
                            "the " + type +
                                " notifier described its message in a shape the server does not "
                                "know (it needs a JSON object with string title and message)");
  }
  return described;
}

std::string describeWith(plugins::PluginInstance& instance, const json& notification,
                         const std::string& type) {
  std::optional<std::string> described;
  try {
    described = instance.notifierPreview(notification.dump());
  } catch (const plugins::PluginCallError& e) {
    if (e.code() == BB_ERR_UNSUPPORTED) {
      described.reset();
    } else if (e.code() == BB_ERR_INVALID_ARGUMENT) {
      throw NotificationError(Kind::Invalid, "template_error", e.what());
    } else {
      throw NotificationError(Kind::Unavailable, "preview_failed",
                              "the " + type + " notifier could not describe its message: " + e.what());
    }
  }
  if (!described) {
    throw NotificationError(Kind::Unsupported, "no_preview",
                            "the " + type +
                                " notifier does not describe its messages (a plugin built before "
                                "ABI 0.6, or one without a preview)");
  }
  return *described;
}

} // namespace

json NotificationService::preview(const json& body) {
  const std::string event = body.at("event").get<std::string>();
  const EventInfo* info = findEvent(event);
  if (info == nullptr) {
    throw NotificationError(Kind::Invalid, "unknown_event",
                            "event '" + event +
                                "' is not one a provider can receive (GET "
                                "/api/v1/notifications/events lists them)");
  }
  const json notification = makeNotification(kPreviewEventId, event, clock_ms_(),
                                             body.contains("data") ? body["data"] : info->sample);

  const bool by_id = body.contains("provider_id");
  if (by_id == body.contains("type")) {
    throw NotificationError(Kind::Invalid, "provider_or_type",
                            "give either provider_id (a saved provider) or type (with settings, a provider "
                            "being written), not both");
  }
  std::string plugin;
  ProviderRecord record;
  if (by_id) {
    ProviderPtr p = find(body["provider_id"].get<int64_t>());
    if (!p) {
      throw records_.notFound(body["provider_id"].get<int64_t>());
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      record = p->record;
    }
    plugin = record.plugin;
    if (!body.contains("settings")) {
      // The provider as it runs: its own instance describes the message.
      std::shared_lock<std::shared_mutex> instance_lock(p->slot->instance_mutex);
      plugins::PluginInstance* instance = plugins_.findInstance(plugin, record.instance_id);
      if (instance == nullptr) {
        throw NotificationError(Kind::Unavailable, "provider_not_running",
                                "the provider's plugin instance is not running (see its problem)");
      }
      return {{"type", record.type()},
              {"event", event},
              {"notification", notification},
              {"preview",
               checkedDescription(describeWith(*instance, notification, record.type()), record.type())}};
    }
  } else {
    plugin = records_.pluginFor(body["type"].get<std::string>());
    records_.requirePlugin(plugin);
    record.plugin = plugin;
  }
  const std::string type = records_.fieldValueOf(plugin);

  // Settings as written in the form: over the stored ones for a saved provider (masked secrets
  // kept), else as given with generated secrets filled in, so a form without them still renders.
  json settings =
      by_id ? records_.mergedSettings(record, body["settings"]) : body.value("settings", json::object());
  for (const std::string& field : generatedSecretFields(records_.schemaOf(plugin), type)) {
    auto it = settings.find(field);
    if (it == settings.end() || it->is_null() || (it->is_string() && it->get<std::string>().empty())) {
      settings[field] = generateWebhookSecret();
    }
  }
  records_.checkSettings(plugin, settings);

  // A short-lived instance on these settings: created, asked, destroyed; it never sends. A plugin's
  // create or destroy may take its time (a client thread that connects): at most kMaxPreviewInstances
  // at once, so previews never hold many HTTP workers.
  if (++previews_running_ > kMaxPreviewInstances) {
    --previews_running_;
    throw NotificationError(429, "previews_busy", "other previews are being rendered; try again in a moment");
  }
  struct Running {
    std::atomic<int>& count;
    ~Running() { --count; }
  } running{previews_running_};
  const std::string instance_id = "preview-" + std::to_string(++preview_seq_);
  plugins::PluginInstance* instance = nullptr;
  try {
    instance = &plugins_.createInstance(plugin, instance_id, settings);
  } catch (const std::exception& e) {
    throw NotificationError(Kind::Invalid, "invalid_settings",
                            std::string("the settings were refused: ") + e.what());
  }
  std::string described;
  try {
    described = describeWith(*instance, notification, type);
  } catch (...) {
    plugins_.destroyInstance(plugin, instance_id);
    throw;
  }
  plugins_.destroyInstance(plugin, instance_id);
  return {{"type", type},
          {"event", event},
          {"notification", notification},
          {"preview", checkedDescription(described, type)}};
}

} // namespace bambuddy::notifications
