#include "status_board.h"

#include <algorithm>

namespace bambuddy::notifier_mqtt {

void StatusBoard::update(const PrinterIdentity& identity, std::string status_json) {
  std::lock_guard<std::mutex> lock(mutex_);
  removals_.erase(identity.id); // re-added with the same id (a restore): announce it again
  auto [it, added] = printers_.try_emplace(identity.id);
  Printer& p = it->second;
  if (added || p.identity != identity) {
    p.identity = identity;
    p.discovery_due = true;
  }
  p.status_json = std::make_shared<const std::string>(std::move(status_json));
  p.status_due = true;
}

void StatusBoard::remove(int64_t printer_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  printers_.erase(printer_id);
  removals_.insert(printer_id);
}

void StatusBoard::republishAll() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [id, p] : printers_) {
    p.discovery_due = true;
    p.status_due = true;
    p.published_ms = -1; // a reconnect is not held back by the interval
  }
}

StatusBoard::Work StatusBoard::take(int64_t now_ms, int64_t* next_due_ms) {
  Work work;
  std::lock_guard<std::mutex> lock(mutex_);
  work.removals.assign(removals_.begin(), removals_.end());
  removals_.clear();
  for (auto& [id, p] : printers_) {
    if (p.discovery_due) {
      work.discover.push_back(p.identity);
      p.discovery_due = false;
    }
    if (!p.status_due) {
      continue;
    }
    const int64_t due_ms = p.published_ms < 0 ? now_ms : p.published_ms + min_interval_ms_;
    if (due_ms > now_ms) {
      if (next_due_ms != nullptr) {
        *next_due_ms = std::min(*next_due_ms, due_ms);
      }
      continue;
    }
    work.statuses.emplace_back(id, p.status_json);
    p.status_due = false;
    p.published_ms = now_ms;
  }
  return work;
}

void StatusBoard::giveBack(const Work& work) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (int64_t id : work.removals) {
    if (printers_.count(id) == 0) {
      removals_.insert(id);
    }
  }
  for (const PrinterIdentity& identity : work.discover) {
    if (auto it = printers_.find(identity.id); it != printers_.end()) {
      it->second.discovery_due = true;
    }
  }
  for (const auto& [id, status] : work.statuses) {
    if (auto it = printers_.find(id); it != printers_.end()) {
      it->second.status_due = true;
      it->second.published_ms = -1;
    }
  }
}

size_t StatusBoard::printerCount() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return printers_.size();
}

std::optional<std::string> StatusBoard::statusOf(int64_t printer_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = printers_.find(printer_id);
  return it == printers_.end() ? std::nullopt : std::optional<std::string>(*it->second.status_json);
}

} // namespace bambuddy::notifier_mqtt
