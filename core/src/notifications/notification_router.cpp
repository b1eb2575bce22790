// The router: the notification outbox's consumer of the event journal. For each event it matches
// the enabled providers (event list, printer filter, quiet hours), writes one outbox row per
// (event, provider) in one transaction, and only then hands the new rows to the providers' lanes.
// Runs on the journal pump's thread; events before start() are held and routed by start().
#include "notifications/notification_service.h"

#include "common/logger.h"
#include "notifications/event_catalog.h"
#include "notifications/provider_entry.h"

#include <set>
#include <stdexcept>

namespace bambuddy::notifications {

namespace {

using nlohmann::json;

constexpr const char* kComponent = "notifications";
constexpr size_t kMaxHeldEvents = 1000;

} // namespace

void NotificationService::routeHeld() {
  std::vector<journal::JournalEntry> held;
  uint64_t dropped = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    held.swap(held_);
    dropped = held_dropped_;
    held_dropped_ = 0;
  }
  if (dropped > 0) {
    logger_.warn(kComponent,
                 std::to_string(dropped) + " event(s) before start-up were not routed (too many)");
  }
  for (const journal::JournalEntry& entry : held) {
    route(entry);
  }
}

void NotificationService::route(const journal::JournalEntry& event) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!started_) {
      if (held_.size() < kMaxHeldEvents) {
        held_.push_back(event);
      } else {
        ++held_dropped_;
      }
      return;
    }
  }
  if (!isCatalogEvent(event.type) || event.type == "test") {
    return;
  }
  // The journal may hand an event over twice (a crash before its cursor was stored): providers
  // that have its delivery already get no second one.
  const std::set<int64_t> routed = outbox_.providersWithEvent(event.event_id);
  json data = json::parse(event.payload_json, nullptr, false);
  if (!data.is_object()) {
    logger_.warn(kComponent, "event " + event.type + " has no JSON object payload; sent with empty data");
    data = json::object();
  }
  const int64_t now = clock_ms_();
  const int64_t first_delay =
      settings_.engine.retry.schedule_ms.empty() ? 0 : settings_.engine.retry.schedule_ms[0];
  const std::string notification =
      makeNotification(event.event_id, event.type, event.timestamp_ms > 0 ? event.timestamp_ms : now, data)
          .dump(-1, ' ', false, json::error_handler_t::replace);
  std::vector<DeliveryRow> rows;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [id, p] : providers_) {
      if (routed.count(id) > 0) {
        continue;
      }
      Route r = routeEvent(p->record.routing, p->record.enabled, event.type, data, p->zone.get(), now);
      if (r == Route::Skip) {
        continue;
      }
      DeliveryRow row;
      row.provider_id = id;
      row.event_id = event.event_id;
      row.event_type = event.type;
      row.printer_id = event.printer_id;
      row.seq = event.seq;
      row.notification = notification;
      row.created_at_ms = row.updated_at_ms = now;
      if (r == Route::Suppress) {
        const QuietHours& q = *p->record.routing.quiet_hours;
        json qj = q.toJson();
        row.status = status::kSuppressed;
        row.error = "quiet hours " + qj["start"].get<std::string>() + "-" + qj["end"].get<std::string>() +
                    " " + q.timezone;
      } else {
        row.status = status::kPending;
        row.next_attempt_at_ms = now + first_delay;
        if (first_delay == 0) {
          engine_.stampClaim(row); // sent from here at once; a delayed one is claimed when due
        }
      }
      rows.push_back(std::move(row));
    }
  }
  if (rows.empty()) {
    return;
  }
  std::vector<int64_t> claimed;
  try {
    rows = outbox_.insert(std::move(rows), [&](const DeliveryRow& row) {
      if (row.status == status::kPending && first_delay == 0) {
        engine_.claim(row.id);
        claimed.push_back(row.id);
      }
    });
  } catch (const std::exception& e) {
    for (int64_t id : claimed) {
      engine_.release(id);
    }
    // Thrown to the journal, which hands the event over again until it is stored.
    throw std::runtime_error("could not store the notifications of event " + event.event_id + " (" +
                             event.type + "): " + e.what());
  }
  for (const DeliveryRow& row : rows) {
    if (row.status != status::kPending) {
      continue;
    }
    if (first_delay == 0) {
      engine_.submit(row);
    } else {
      engine_.track(row);
      engine_.wakeAt(row.next_attempt_at_ms);
    }
  }
}

} // namespace bambuddy::notifications
