// PrinterRegistry: which printers this server instance connects when several share the farm
// (take, drop; cluster/cluster_coordinator.h decides, from the leases).
#include "printers/printer_live.h"
#include "printers/printer_registry.h"

#include "common/logger.h"
#include "plugins/plugin_host.h"

#include <set>

namespace bambuddy::printers {

namespace {
constexpr const char* kComponent = "printers";
constexpr const char* kElsewhere = "connected by another server instance";
} // namespace

void PrinterRegistry::setClaim(std::function<bool(int64_t)> claim) {
  claim_ = std::move(claim);
}

void PrinterRegistry::setChangeListener(std::function<void()> listener) {
  change_listener_ = std::move(listener);
}

void PrinterRegistry::reloadRecords() {
  const std::vector<PrinterRecord> rows = store_.list();
  std::set<int64_t> stored;
  std::vector<PrinterRecord> resettle; // connected here, settings changed elsewhere
  std::vector<int64_t> gone_owned;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const PrinterRecord& row : rows) {
      stored.insert(row.id);
      auto it = printers_.find(row.id);
      if (it == printers_.end()) {
        adopt(row).owned = false; // the coordinator's next round decides who connects it
        continue;
      }
      Live& live = *it->second;
      const bool settings_changed = live.record.settings != row.settings;
      live.record.name = row.name;
      live.record.settings = row.settings;
      live.record.require_plate_clear = row.require_plate_clear;
      live.record.updated_at_ms = row.updated_at_ms;
      if (!live.owned) {
        // The holder's word on the print and the plate; its own memory is current where it runs.
        live.record.lifecycle = row.lifecycle;
        live.record.awaiting_plate_clear = row.awaiting_plate_clear;
      } else if (settings_changed) {
        resettle.push_back(live.record);
      }
      changed(live);
    }
    for (auto it = printers_.begin(); it != printers_.end();) {
      if (stored.count(it->first) != 0) {
        ++it;
      } else if (it->second->owned) {
        gone_owned.push_back(it->first);
        ++it;
      } else {
        by_instance_.erase({it->second->record.plugin, it->second->record.instance_id});
        it = printers_.erase(it);
      }
    }
  }
  drop(gone_owned); // its row is gone: drop() forgets it once its driver is destroyed
  for (const PrinterRecord& record : resettle) {
    std::unique_lock<std::shared_mutex> instances(instances_mutex_);
    std::string problem;
    nlohmann::json capabilities = nlohmann::json::object();
    try {
      capabilities = capabilitiesOf(record, &records_.replaceInstance(record, record.settings, problem));
    } catch (const std::exception& e) {
      logger_.warn(kComponent, "printer " + std::to_string(record.id) +
                                   ": the settings changed on another instance were refused: " + e.what());
    }
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = printers_.find(record.id);
    if (it != printers_.end()) {
      it->second->problem = problem;
      it->second->capabilities = std::move(capabilities);
      changed(*it->second);
    }
  }
}

std::vector<int64_t> PrinterRegistry::storedIds() {
  return store_.ids();
}

void PrinterRegistry::startDriver(const PrinterRecord& record) {
  std::unique_lock<std::shared_mutex> instances(instances_mutex_);
  // Outside mutex_: a driver's first report may come while its instance is being created.
  const std::string problem = records_.startInstance(record);
  nlohmann::json capabilities = nlohmann::json::object();
  if (problem.empty()) {
    capabilities = capabilitiesOf(record, plugins_.findInstance(record.plugin, record.instance_id));
  }
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = printers_.find(record.id);
  if (it == printers_.end()) {
    return;
  }
  it->second->problem = problem;
  it->second->capabilities = std::move(capabilities);
  changed(*it->second);
}

void PrinterRegistry::take(const std::vector<int64_t>& ids) {
  for (int64_t id : ids) {
    std::optional<PrinterRecord> record;
    try {
      record = store_.find(id);
    } catch (const std::exception& e) {
      logger_.warn(kComponent, "printer " + std::to_string(id) + ": cannot read its record: " + e.what());
      continue;
    }
    if (!record) {
      continue; // removed meanwhile; its lease goes at the next round
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = printers_.find(id);
      if (it != printers_.end() && it->second->owned) {
        continue;
      }
      // A fresh entry from the stored record: the detector memory, the plate gate and the settings
      // are the previous holder's last word, not what this instance saw at start-up.
      adopt(*record).owned = true;
    }
    logger_.info(kComponent, "printer " + std::to_string(id) + " ('" + record->name + "'): connecting here");
    replayEarly({record->plugin, record->instance_id});
    startDriver(*record);
  }
}

void PrinterRegistry::drop(const std::vector<int64_t>& ids) {
  for (int64_t id : ids) {
    PrinterRecord record;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = printers_.find(id);
      if (it == printers_.end() || !it->second->owned) {
        continue;
      }
      it->second->owned = false; // from here its reports are ignored
      record = it->second->record;
    }
    stopDriverFirst(record);
    {
      std::unique_lock<std::shared_mutex> instances(instances_mutex_);
      records_.stopInstance(record);
    }
    bool still_stored = true;
    try {
      still_stored = store_.find(id).has_value();
    } catch (const std::exception&) {
      // keep the entry; the next round tells
    }
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = printers_.find(id);
    if (it == printers_.end()) {
      continue;
    }
    if (!still_stored) {
      by_instance_.erase({it->second->record.plugin, it->second->record.instance_id});
      printers_.erase(it);
      continue;
    }
    it->second->status = nullptr;
    it->second->problem = kElsewhere;
    it->second->capabilities = nlohmann::json::object();
    changed(*it->second);
    logger_.info(kComponent,
                 "printer " + std::to_string(id) + " ('" + record.name + "'): no longer connected here");
  }
}

} // namespace bambuddy::printers
