// Coalesced printer status for consumers that want it pushed (the event stream's `status` events,
// the bus topic `printer_status` that plugins such as notifier.mqtt subscribe to).
//
// Status snapshots are not events: they may be coalesced, never queued. Once per interval the
// feed's own thread asks the registry, in one pass for every listener, which printers' status
// answers changed since the oldest listener's cursor, and hands each listener the latest answer of
// each printer that changed since its own cursor (so a printer reporting ten times a second reaches
// a listener at most once per interval), plus the ids of printers removed since.
// A listener that does not want status right now (nobody subscribed) costs nothing; when it wants
// it again it first gets every printer.
//
// Threading: listeners are added before start() and called on the feed's thread, one after another,
// with no lock of the registry or the feed held. They must return quickly.
#pragma once

#include "printers/printer_registry.h"

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace bambuddy::printers {

struct StatusListener {
  // Asked before each round; false skips the listener (and its next round starts from scratch).
  std::function<bool()> wanted;
  // The changed printers' latest status answers (id order) and the printers removed since.
  std::function<void(const std::vector<PrinterRegistry::StatusChange>& changed,
                     const std::vector<int64_t>& removed)>
      deliver;
};

class StatusFeed {
public:
  StatusFeed(const PrinterRegistry& registry, int64_t interval_ms);
  ~StatusFeed(); // stop()
  StatusFeed(const StatusFeed&) = delete;
  StatusFeed& operator=(const StatusFeed&) = delete;

  void addListener(StatusListener listener); // before start()
  void start();
  void stop(); // idempotent; joins the thread

  // One round now, on the caller's thread (tests; the thread does this every interval).
  void tick();

private:
  struct Entry {
    StatusListener listener;
    bool active = false;
    uint64_t cursor = 0;
    std::set<int64_t> known; // ids it was told about and not yet told were removed
  };

  void run();

  const PrinterRegistry& registry_;
  const int64_t interval_ms_;
  std::vector<Entry> entries_; // fixed after start(); touched only by tick()'s caller
  std::mutex tick_mutex_;      // tick() from a test and the thread never overlap
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace bambuddy::printers
