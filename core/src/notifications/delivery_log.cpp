// Provider tests and the delivery log: a test notification sent on the test threads (never on an
// HTTP worker), one delivery's state, a provider's log page, and redelivering a finished delivery
// with the same body (so the same webhook-id).
#include "notifications/notification_service.h"

#include "common/logger.h"
#include "notifications/event_catalog.h"
#include "notifications/generated_secrets.h"
#include "notifications/notification_error.h"
#include "notifications/provider_entry.h"

#include <algorithm>
#include <iterator>

namespace bambuddy::notifications {

namespace {

using nlohmann::json;
using Kind = NotificationError::Kind;

constexpr const char* kComponent = "notifications";

NotificationError testsBusy(const NotificationSettings& settings) {
  return NotificationError(429, "tests_busy",
                           "too many provider tests at once (" + std::to_string(settings.test_threads) +
                               " running, " + std::to_string(settings.test_queue) +
                               " waiting); try again when one has finished");
}

} // namespace

json NotificationService::test(int64_t id) {
  ProviderPtr p = find(id);
  if (!p) {
    throw records_.notFound(id);
  }
  std::string name;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    name = p->record.name;
  }
  const int64_t now = clock_ms_();
  const std::string event_id = newEventId();
  DeliveryRow row;
  row.provider_id = id;
  row.event_id = event_id;
  row.event_type = "test";
  row.notification =
      makeNotification(
          event_id, "test", now,
          {{"message", "Test notification from Bambuddy"}, {"provider", name}, {"provider_id", id}})
          .dump(-1, ' ', false, json::error_handler_t::replace);
  row.next_attempt_at_ms = now;
  row.created_at_ms = row.updated_at_ms = now;
  if (!tests_.hasRoom()) {
    throw testsBusy(settings_);
  }
  engine_.stampAttemptClaim(row); // sent by this instance, delivering or not
  std::vector<DeliveryRow> rows = outbox_.insert({row}, [&](const DeliveryRow& r) { engine_.claim(r.id); });
  DeliveryRow stored = rows.front();
  auto run = [this, stored] {
    try {
      engine_.attemptNow(stored, true);
    } catch (const std::exception& e) {
      // attemptNow released it; the row stays pending and the scheduler sends it.
      logger_.error(kComponent, "test delivery " + std::to_string(stored.id) + ": " + e.what());
    }
  };
  const int64_t delivery_id = stored.id;
  if (!tests_.submit(run, [this, delivery_id] { engine_.release(delivery_id); })) {
    // Another request took the last place meanwhile: this test is not sent at all.
    stored.status = status::kCancelled;
    stored.next_attempt_at_ms = 0;
    stored.error = "too many provider tests at once";
    stored.updated_at_ms = clock_ms_();
    outbox_.save(stored);
    engine_.release(delivery_id);
    throw testsBusy(settings_);
  }
  return deliveryJson(stored);
}

json NotificationService::delivery(int64_t delivery_id) {
  std::optional<DeliveryRow> row = outbox_.find(delivery_id);
  if (!row) {
    throw NotificationError(Kind::NotFound, "not_found",
                            "no delivery with id " + std::to_string(delivery_id));
  }
  return deliveryJson(*row);
}

json NotificationService::deliveries(int64_t id, const std::optional<std::string>& wanted, size_t limit,
                                     size_t offset) {
  if (!find(id)) {
    throw records_.notFound(id);
  }
  if (wanted) {
    static const char* kStatuses[] = {status::kPending, status::kRetrying,   status::kDelivered,
                                      status::kFailed,  status::kSuppressed, status::kCancelled};
    if (std::none_of(std::begin(kStatuses), std::end(kStatuses),
                     [&](const char* s) { return *wanted == s; })) {
      throw NotificationError(
          Kind::Invalid, "invalid_parameter",
          "status must be one of pending, retrying, delivered, failed, suppressed, cancelled");
    }
  }
  DeliveryPage page = outbox_.list(id, wanted, limit, offset);
  json items = json::array();
  for (const DeliveryRow& row : page.items) {
    items.push_back(deliveryJson(row));
  }
  return {{"items", items}, {"total", page.total}, {"limit", limit}, {"offset", offset}};
}

json NotificationService::redeliver(int64_t delivery_id) {
  std::optional<DeliveryRow> original = outbox_.find(delivery_id);
  if (!original) {
    throw NotificationError(Kind::NotFound, "not_found",
                            "no delivery with id " + std::to_string(delivery_id));
  }
  ProviderPtr p = find(original->provider_id);
  if (!p) {
    throw NotificationError(Kind::NotFound, "not_found", "the provider of this delivery no longer exists");
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!p->record.enabled) {
      throw NotificationError(Kind::Conflict, "provider_disabled",
                              "provider " + std::to_string(p->record.id) +
                                  " is disabled; enable it first (PATCH {\"enabled\": true})");
    }
  }
  if (!isFinalStatus(original->status)) {
    throw NotificationError(Kind::Conflict, "delivery_pending",
                            "delivery " + std::to_string(delivery_id) + " is still " + original->status +
                                "; it is sent on its own");
  }
  const int64_t now = clock_ms_();
  DeliveryRow row;
  row.provider_id = original->provider_id;
  row.event_id = original->event_id;
  row.event_type = original->event_type;
  row.notification = original->notification; // the same body, so the same webhook-id
  row.redelivery_of = original->id;
  row.next_attempt_at_ms = now;
  row.created_at_ms = row.updated_at_ms = now;
  engine_.stampClaim(row);
  std::vector<DeliveryRow> rows = outbox_.insert({row}, [&](const DeliveryRow& r) { engine_.claim(r.id); });
  if (row.claimed_by.empty()) {
    // Another instance delivers: it is told, so it scans for this row now.
    engine_.release(rows.front().id);
    announceOutbox();
  } else {
    engine_.submit(rows.front());
  }
  return deliveryJson(rows.front());
}

} // namespace bambuddy::notifications
