#include "notifications/event_catalog.h"

#include "common/time.h"

#include <algorithm>

namespace bambuddy::notifications {

namespace {

using nlohmann::json;

// The fields every print event carries (docs/printers.md "Events").
json printData(json extra) {
  json data = {{"printer", "Workshop X1C"},
               {"printer_id", 1},
               {"filename", "benchy.3mf"},
               {"job_id", "512345678"},
               {"started_at", "2024-01-15T12:15:00Z"},
               {"progress", 0.0},
               {"filament_used", nullptr},
               {"layer", 0},
               {"total_layers", 210},
               {"remaining_time", 8100}};
  data.update(extra);
  return data;
}

std::vector<EventInfo> build() {
  return {
      {"print_started",
       "A printer started a print (it went from idle to preparing or printing, or reported a new job).",
       printData({{"status", "printing"}, {"archive_id", 12}})},
      {"print_progress",
       "A print passed a progress milestone (default 25, 50 and 75 %, setting printers.progress_milestones); "
       "`progress` is the milestone, `progress_exact` the reported value.",
       printData({{"status", "printing"},
                  {"progress", 50},
                  {"progress_exact", 50.4},
                  {"layer", 105},
                  {"remaining_time", 4020},
                  {"archive_id", 12}})},
      {"print_complete", "A print finished successfully; `duration` in seconds, `filament_used` in grams.",
       printData({{"status", "success"},
                  {"progress", 100.0},
                  {"layer", 210},
                  {"remaining_time", 0},
                  {"duration", 8100},
                  {"filament_used", 45.2},
                  {"ended_at", "2024-01-15T14:30:00Z"},
                  {"archive_id", 12}})},
      {"print_failed", "A print failed; `error` carries the printer's code and message.",
       printData({{"status", "failed"},
                  {"progress", 37.0},
                  {"layer", 78},
                  {"duration", 3120},
                  {"filament_used", 16.8},
                  {"ended_at", "2024-01-15T13:07:00Z"},
                  {"error", {{"code", "0300_400C"}, {"message", "The print was aborted: filament ran out."}}},
                  {"archive_id", 12}})},
      {"print_paused", "A print was paused (by a user or by the printer on an error).",
       printData({{"status", "paused"}, {"progress", 42.0}, {"layer", 88}, {"archive_id", 12}})},
      {"print_resumed", "A paused print continues.",
       printData({{"status", "printing"}, {"progress", 42.0}, {"layer", 88}, {"archive_id", 12}})},
      {"print_cancelled",
       "A print was stopped by a user (API, the printer's screen or the app), or the printer went back to "
       "idle without finishing.",
       printData({{"status", "cancelled"},
                  {"progress", 12.0},
                  {"layer", 25},
                  {"duration", 960},
                  {"ended_at", "2024-01-15T12:31:00Z"},
                  {"archive_id", 12}})},
      {"printer_offline",
       "A printer has been unreachable for the debounce time (default 60 s, printers.offline_debounce_s).",
       {{"printer", "Workshop X1C"},
        {"printer_id", 1},
        {"status", "offline"},
        {"offline_since", "2024-01-15T15:02:10Z"},
        {"error", "connection lost: no answer from 192.168.1.50:8883"}}},
      {"printer_online",
       "A printer announced offline is reachable again.",
       {{"printer", "Workshop X1C"}, {"printer_id", 1}, {"status", "online"}}},
      {"printer_error",
       "A new error appeared on a printer (Bambu HMS); each error once while it stays active.",
       {{"printer", "Workshop X1C"},
        {"printer_id", 1},
        {"status", "printing"},
        {"filename", "benchy.3mf"},
        {"error",
         {{"code", "0300_4000_0002_0001"},
          {"severity", "serious"},
          {"module", "mc"},
          {"message", "The nozzle temperature is abnormal; the heater may be open-circuited."}}}}},
      {"queue_item_added",
       "An item was added to the print queue.",
       {{"queue_item_id", 7},
        {"archive_id", 12},
        {"filename", "benchy.3mf"},
        {"printer_id", nullptr},
        {"printer", nullptr},
        {"position", 3},
        {"scheduled_at", nullptr}}},
      {"queue_item_started",
       "The queue sent an item to a printer.",
       {{"queue_item_id", 7},
        {"archive_id", 12},
        {"filename", "benchy.3mf"},
        {"printer_id", 1},
        {"printer", "Workshop X1C"}}},
      {"test",
       "Sent on demand by POST /api/v1/notifications/{id}/test to check a provider.",
       {{"message", "Test notification from Bambuddy"}, {"provider", "Home Assistant"}, {"provider_id", 3}}},
  };
}

} // namespace

const std::vector<EventInfo>& eventCatalog() {
  static const std::vector<EventInfo> catalog = build(); // constant data, built once
  return catalog;
}

bool isCatalogEvent(const std::string& name) {
  const auto& all = eventCatalog();
  return std::any_of(all.begin(), all.end(), [&](const EventInfo& e) { return e.name == name; });
}

std::string catalogNames() {
  std::string out;
  for (const EventInfo& e : eventCatalog()) {
    out += (out.empty() ? "" : ", ") + e.name;
  }
  return out;
}

nlohmann::json makeNotification(const std::string& event_id, const std::string& type, int64_t timestamp_ms,
                                nlohmann::json data) {
  return {{"id", event_id},
          {"event", type},
          {"timestamp", formatUtcSeconds(timestamp_ms)},
          {"data", data.is_object() ? std::move(data) : nlohmann::json::object()}};
}

} // namespace bambuddy::notifications
