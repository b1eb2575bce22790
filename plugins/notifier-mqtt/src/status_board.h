// The latest status of every printer seen on the bus, and what of it still has to reach the
// broker. Bus callbacks write here and return at once; the notifier's loop takes the due work.
// Memory is bounded by the number of printers: a printer keeps one status (a newer one replaces
// an unpublished older one), never a queue.
#pragma once

#include "ha_discovery.h"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace bambuddy::notifier_mqtt {

class StatusBoard {
public:
  // `min_interval_ms`: at most one status per printer that often.
  explicit StatusBoard(int64_t min_interval_ms) : min_interval_ms_(min_interval_ms) {}

  // A printer's new status answer (JSON text) and identity. Called on a bus thread.
  void update(const PrinterIdentity& identity, std::string status_json);
  // The printer was deleted: its retained topics are to be cleared. Called on a bus thread.
  void remove(int64_t printer_id);
  // After a (re)connect: every printer's discovery and status are sent again, at once.
  void republishAll();

  struct Work {
    // Printer id and status JSON, shared with the board: taking work under the lock copies no text.
    std::vector<std::pair<int64_t, std::shared_ptr<const std::string>>> statuses;
    std::vector<PrinterIdentity> discover; // (re)announce to HA
    std::vector<int64_t> removals;         // clear configs and status
  };
  // What is due at `now_ms` (a steady clock); `*next_due_ms` is set to when the next status
  // held back by the interval becomes due (unchanged when none is).
  Work take(int64_t now_ms, int64_t* next_due_ms);
  // Puts back what could not be published (the connection dropped meanwhile).
  void giveBack(const Work& work);

  size_t printerCount() const;
  std::optional<std::string> statusOf(int64_t printer_id) const;

private:
  struct Printer {
    PrinterIdentity identity;
    std::shared_ptr<const std::string> status_json;
    bool status_due = false;
    bool discovery_due = false;
    int64_t published_ms = -1; // steady ms of the last status published; -1 = never
  };

  const int64_t min_interval_ms_;
  mutable std::mutex mutex_;
  std::map<int64_t, Printer> printers_;
  std::set<int64_t> removals_;
};

} // namespace bambuddy::notifier_mqtt
