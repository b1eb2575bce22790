// NotificationService::reloadProviders: several server instances share the providers table, and a
// change made through one instance's API must reach the instance that delivers.
#include "notifications/notification_service.h"

#include "common/logger.h"
#include "notifications/provider_entry.h"

#include <set>

namespace bambuddy::notifications {

namespace {
constexpr const char* kComponent = "notifications";
} // namespace

void NotificationService::reloadProviders() {
  const std::vector<ProviderRecord> rows = store_.list();
  std::set<int64_t> stored;
  for (const ProviderRecord& row : rows) {
    stored.insert(row.id);
    ProviderPtr p = find(row.id);
    if (!p) {
      ProviderPtr added;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        added = adopt(row);
      }
      std::unique_lock<std::shared_mutex> instance_lock(added->slot->instance_mutex);
      std::string problem = records_.startInstance(added->record);
      instance_lock.unlock();
      std::lock_guard<std::mutex> lock(mutex_);
      added->problem = std::move(problem);
      continue;
    }
    std::lock_guard<std::mutex> admin(p->admin);
    ProviderRecord current;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      current = p->record;
    }
    if (current.settings != row.settings) {
      try {
        recreateInstance(*p, row.settings);
      } catch (const std::exception& e) {
        logger_.warn(kComponent, "provider " + std::to_string(row.id) +
                                     ": the settings changed on another instance were refused: " + e.what());
      }
    }
    std::shared_ptr<const TimeZone> zone;
    if (row.routing.quiet_hours) {
      try {
        zone = zoneFor(row.routing, "quiet_hours.timezone");
      } catch (const std::exception& e) {
        logger_.warn(kComponent, "provider " + std::to_string(row.id) + ": " + e.what() + "; using UTC");
      }
    }
    bool disabling = false, enabling = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      disabling = p->record.enabled && !row.enabled;
      enabling = !p->record.enabled && row.enabled;
      p->record = row;
      p->slot->enabled = row.enabled;
      p->zone = zone;
    }
    if (disabling) {
      engine_.cancelPending(row.id, "the provider was disabled by a user");
    } else if (enabling) {
      engine_.wakeAt(0);
    }
  }
  std::vector<ProviderPtr> gone;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = providers_.begin(); it != providers_.end();) {
      if (stored.count(it->first) != 0) {
        ++it;
        continue;
      }
      gone.push_back(it->second);
      it = providers_.erase(it); // the router stops matching it
    }
  }
  for (const ProviderPtr& p : gone) {
    engine_.removeProvider(p->record.id); // waits for its attempts in flight
    std::unique_lock<std::shared_mutex> instance_lock(p->slot->instance_mutex);
    records_.stopInstance(p->record);
  }
}

} // namespace bambuddy::notifications
