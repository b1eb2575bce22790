// Provider health: what an attempt's outcome means for its provider (called on the lane threads).
// A failing run starts a clock; 410 Gone, or failing for longer than disable_after_failing_ms,
// disables the provider with the reason, and the change is stored with the provider's row.
#include "notifications/notification_service.h"

#include "common/logger.h"
#include "common/time.h"
#include "notifications/provider_entry.h"

namespace bambuddy::notifications {

namespace {

constexpr const char* kComponent = "notifications";

std::string durationText(int64_t ms) {
  const int64_t s = ms / 1000;
  if (s >= 86400) {
    return std::to_string(s / 86400) + " d " + std::to_string(s % 86400 / 3600) + " h";
  }
  if (s >= 3600) {
    return std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min";
  }
  if (s >= 60) {
    return std::to_string(s / 60) + " min";
  }
  return std::to_string(s) + " s";
}

} // namespace

std::optional<std::string> NotificationService::attemptFinished(int64_t provider_id, int64_t delivery_id,
                                                                bool delivered, int http_status,
                                                                const std::string& error, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = providers_.find(provider_id);
  if (it == providers_.end()) {
    return std::nullopt;
  }
  ProviderRecord& r = it->second->record;
  if (delivered) {
    if (r.failing_since_ms != 0) {
      r.failing_since_ms = 0;
      persist(r);
    }
    return std::nullopt;
  }
  bool changed = false;
  if (r.failing_since_ms == 0) {
    r.failing_since_ms = now_ms;
    changed = true;
  }
  std::optional<std::string> reason;
  if (http_status == 410) {
    reason = "the receiver answered 410 Gone (delivery " + std::to_string(delivery_id) + " at " +
             formatUtcSeconds(now_ms) + "): it asked not to be sent anything more";
  } else if (settings_.disable_after_failing_ms > 0 &&
             now_ms - r.failing_since_ms >= settings_.disable_after_failing_ms) {
    reason = "every delivery failed for " + durationText(now_ms - r.failing_since_ms) + " since " +
             formatUtcSeconds(r.failing_since_ms) +
             " (last error: " + (error.empty() ? "none given" : error) + ")";
  }
  if (reason && r.enabled) {
    r.enabled = false;
    r.disabled_reason = *reason;
    r.disabled_at_ms = now_ms;
    it->second->slot->enabled = false;
    changed = true;
    logger_.warn(kComponent, "provider " + std::to_string(r.id) + " ('" + r.name + "') disabled: " + *reason);
  } else {
    reason.reset(); // already disabled (a test sent anyway): nothing more to do
  }
  if (changed) {
    persist(r);
  }
  return reason;
}

void NotificationService::persist(const ProviderRecord& record) {
  try {
    store_.update(record);
  } catch (const std::exception& e) {
    logger_.error(kComponent, "could not save provider " + std::to_string(record.id) + ": " + e.what());
  }
}

} // namespace bambuddy::notifications
