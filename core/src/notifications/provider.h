// A notification provider: one instance of a notifier plugin plus what it receives. Also the
// routing decision for one event (pure, so it is unit-tested without threads or a database).
#pragma once

#include "notifications/quiet_hours.h"
#include "records/instance_record.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bambuddy::notifications {

class TimeZone;

struct ProviderRouting {
  std::optional<std::vector<std::string>> events;  // nullopt = every event
  std::optional<std::vector<int64_t>> printer_ids; // nullopt = every printer
  std::optional<QuietHours> quiet_hours;
};

// A provider's columns beyond those of every instance-backed record (id, name, plugin =
// "notifier.<type>", instance_id, source, settings, created/updated).
struct ProviderRecord : records::InstanceRecord {
  bool enabled = true;
  ProviderRouting routing;
  std::string disabled_reason; // why the server disabled it ("" when enabled or disabled by a user)
  int64_t disabled_at_ms = 0;
  int64_t failing_since_ms = 0; // first failed attempt of the current run of failures; 0 = healthy

  // "webhook" for "notifier.webhook".
  std::string type() const { return typeOf(plugin); }
  static std::string typeOf(const std::string& plugin) {
    return plugin.rfind(kPluginPrefix, 0) == 0 ? plugin.substr(std::char_traits<char>::length(kPluginPrefix))
                                               : plugin;
  }
  static std::string pluginForType(const std::string& type) { return kPluginPrefix + type; }

  static constexpr const char* kPluginPrefix = "notifier.";
};

enum class Route { Skip, Send, Suppress };

// What to do with event `type` (payload `data`) for a provider: Skip when it is disabled, not
// subscribed to the event, or filtered to other printers (events without a printer_id always
// pass the printer filter); Suppress when it is inside its quiet hours (`zone` is the quiet hours'
// time zone, nullptr = UTC); else Send.
Route routeEvent(const ProviderRouting& routing, bool enabled, const std::string& type,
                 const nlohmann::json& data, const TimeZone* zone, int64_t now_ms);

// Routing input shared by REST bodies (after their body schema), YAML instances and stored rows.
// Each throws NotificationError (Invalid) naming the field and what is wrong.
// null = every event; otherwise a non-empty array of distinct catalogue events.
std::optional<std::vector<std::string>> parseEvents(const nlohmann::json& value,
                                                    const std::string& path = "events");
// null = every printer; otherwise a non-empty array of distinct positive printer ids.
std::optional<std::vector<int64_t>> parsePrinterIds(const nlohmann::json& value,
                                                    const std::string& path = "printer_ids");

// JSON forms for the API and the database (null for "every" / none).
nlohmann::json eventsJson(const ProviderRouting& routing);
nlohmann::json printerIdsJson(const ProviderRouting& routing);
nlohmann::json quietHoursJson(const ProviderRouting& routing);

} // namespace bambuddy::notifications
