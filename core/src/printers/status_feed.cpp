#include "printers/status_feed.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace bambuddy::printers {

StatusFeed::StatusFeed(const PrinterRegistry& registry, int64_t interval_ms)
    : registry_(registry), interval_ms_(interval_ms) {
  if (interval_ms < 1) {
    throw std::invalid_argument("status feed interval must be at least 1 ms");
  }
}

StatusFeed::~StatusFeed() {
  stop();
}

void StatusFeed::addListener(StatusListener listener) {
  if (thread_.joinable()) {
    throw std::logic_error("StatusFeed::addListener() must be called before start()");
  }
  Entry entry;
  entry.listener = std::move(listener);
  entries_.push_back(std::move(entry));
}

void StatusFeed::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable()) {
    return;
  }
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void StatusFeed::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void StatusFeed::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [this] { return stopping_; });
    if (stopping_) {
      break;
    }
    lock.unlock();
    tick();
    lock.lock();
  }
}

void StatusFeed::tick() {
  std::lock_guard<std::mutex> lock(tick_mutex_);
  std::vector<Entry*> active;
  for (Entry& entry : entries_) {
    if (!entry.listener.wanted || !entry.listener.wanted()) {
      entry.active = false;
      continue;
    }
    if (!entry.active) {
      entry.active = true;
      entry.cursor = 0; // everything, as for a new listener
      entry.known.clear();
    }
    active.push_back(&entry);
  }
  if (active.empty()) {
    return;
  }
  // One pass over the registry for every listener: the changes since the oldest cursor, each
  // listener then taking those newer than its own.
  uint64_t cursor = active.front()->cursor;
  bool any_known = false;
  for (const Entry* entry : active) {
    cursor = std::min(cursor, entry->cursor);
    any_known = any_known || !entry->known.empty();
  }
  const std::vector<PrinterRegistry::StatusChange> all = registry_.statusChangesSince(cursor);
  std::set<int64_t> now;
  if (any_known) {
    std::vector<int64_t> ids = registry_.ids();
    now.insert(ids.begin(), ids.end());
  }
  for (Entry* entry : active) {
    std::vector<PrinterRegistry::StatusChange> changed;
    for (const PrinterRegistry::StatusChange& change : all) {
      if (change.seq > entry->cursor) {
        changed.push_back(change);
      }
    }
    entry->cursor = cursor;
    std::vector<int64_t> removed;
    for (int64_t id : entry->known) {
      if (now.count(id) == 0) {
        removed.push_back(id);
      }
    }
    for (int64_t id : removed) {
      entry->known.erase(id);
    }
    for (const PrinterRegistry::StatusChange& change : changed) {
      entry->known.insert(change.id);
    }
    if (!changed.empty() || !removed.empty()) {
      entry->listener.deliver(changed, removed);
    }
  }
}

} // namespace bambuddy::printers
