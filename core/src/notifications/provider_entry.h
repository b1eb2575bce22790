// The notification service's view of one provider, shared by the files that make up the service
// (notification_service.cpp: providers and their REST; notification_router.cpp: events to outbox
// rows; provider_health.cpp: attempt outcomes; delivery_log.cpp: tests and the delivery log).
// Internal to the notifications area.
#pragma once

#include "notifications/delivery_engine.h"
#include "notifications/notification_service.h"
#include "notifications/provider.h"
#include "notifications/time_zone.h"

#include <memory>
#include <mutex>
#include <string>

namespace bambuddy::notifications {

struct NotificationService::Provider {
  ProviderRecord record;
  std::shared_ptr<ProviderSlot> slot;
  std::shared_ptr<const TimeZone> zone; // of the quiet hours; null = UTC
  std::string problem;                  // why its plugin instance is not running
  std::mutex admin;                     // serializes REST changes to this provider
};

} // namespace bambuddy::notifications
