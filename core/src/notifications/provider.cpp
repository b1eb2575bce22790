#include "notifications/provider.h"

#include "notifications/event_catalog.h"
#include "notifications/notification_error.h"
#include "notifications/time_zone.h"

#include <algorithm>

namespace bambuddy::notifications {

namespace {

NotificationError invalid(const std::string& code, const std::string& message) {
  return NotificationError(NotificationError::Kind::Invalid, code, message);
}

} // namespace

Route routeEvent(const ProviderRouting& routing, bool enabled, const std::string& type,
                 const nlohmann::json& data, const TimeZone* zone, int64_t now_ms) {
  if (!enabled) {
    return Route::Skip;
  }
  if (routing.events &&
      std::find(routing.events->begin(), routing.events->end(), type) == routing.events->end()) {
    return Route::Skip;
  }
  if (routing.printer_ids && data.is_object()) {
    auto it = data.find("printer_id");
    if (it != data.end() && it->is_number_integer()) {
      const int64_t printer = it->get<int64_t>();
      if (std::find(routing.printer_ids->begin(), routing.printer_ids->end(), printer) ==
          routing.printer_ids->end()) {
        return Route::Skip;
      }
    }
  }
  if (routing.quiet_hours) {
    const bool quiet = zone != nullptr ? inQuietHours(*routing.quiet_hours, *zone, now_ms)
                                       : inQuietHours(*routing.quiet_hours, *TimeZone::utc(), now_ms);
    if (quiet) {
      return Route::Suppress;
    }
  }
  return Route::Send;
}

std::optional<std::vector<std::string>> parseEvents(const nlohmann::json& value, const std::string& path) {
  if (value.is_null()) {
    return std::nullopt;
  }
  if (!value.is_array() || value.empty()) {
    throw invalid("invalid_events",
                  path + ": must be a non-empty list of event names, or null for every event");
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string where = path + "[" + std::to_string(i) + "]";
    if (!value[i].is_string()) {
      throw invalid("invalid_events", where + ": must be an event name");
    }
    std::string name = value[i].get<std::string>();
    if (!isCatalogEvent(name)) {
      throw invalid("invalid_events",
                    where + ": unknown event '" + name + "' (known: " + catalogNames() + ")");
    }
    if (std::find(out.begin(), out.end(), name) != out.end()) {
      throw invalid("invalid_events", where + ": '" + name + "' is listed twice");
    }
    out.push_back(std::move(name));
  }
  return out;
}

std::optional<std::vector<int64_t>> parsePrinterIds(const nlohmann::json& value, const std::string& path) {
  if (value.is_null()) {
    return std::nullopt;
  }
  if (!value.is_array() || value.empty()) {
    throw invalid("invalid_printer_ids",
                  path + ": must be a non-empty list of printer ids, or null for every printer");
  }
  std::vector<int64_t> out;
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string where = path + "[" + std::to_string(i) + "]";
    if (!value[i].is_number_integer() || value[i].get<int64_t>() <= 0) {
      throw invalid("invalid_printer_ids", where + ": must be a positive integer printer id");
    }
    int64_t id = value[i].get<int64_t>();
    if (std::find(out.begin(), out.end(), id) != out.end()) {
      throw invalid("invalid_printer_ids", where + ": printer " + std::to_string(id) + " is listed twice");
    }
    out.push_back(id);
  }
  return out;
}

nlohmann::json eventsJson(const ProviderRouting& routing) {
  return routing.events ? nlohmann::json(*routing.events) : nlohmann::json(nullptr);
}

nlohmann::json printerIdsJson(const ProviderRouting& routing) {
  return routing.printer_ids ? nlohmann::json(*routing.printer_ids) : nlohmann::json(nullptr);
}

nlohmann::json quietHoursJson(const ProviderRouting& routing) {
  return routing.quiet_hours ? routing.quiet_hours->toJson() : nlohmann::json(nullptr);
}

} // namespace bambuddy::notifications
