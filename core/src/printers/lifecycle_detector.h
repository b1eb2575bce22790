// Turns the stream of normalized status reports of one printer into print lifecycle events.
//
// Drivers only report state (docs/printers.md); deciding that a print started, reached 50 %,
// finished or was cancelled happens here, once, for every driver. The detector is a pure state
// machine: feed it reports and clock ticks, it returns the events to publish. Its memory of the
// current print can be saved and restored so a server restart in the middle of a print neither
// repeats print_started nor loses the print's end.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace bambuddy::printers {

struct LifecycleSettings {
  std::vector<int> progress_milestones{25, 50, 75}; // percent, ascending, each 1..99
  int64_t offline_debounce_ms = 60000;
};

struct LifecycleEvent {
  std::string type;    // print_started, print_progress, ..., printer_online
  nlohmann::json data; // event fields except printer / printer_id, which the registry adds
};

// What the detector remembers between reports; also what is persisted per printer.
struct LifecycleMemory {
  bool in_print = false;
  std::string job_key; // filename + job id of the current print
  std::string filename;
  int64_t started_at_ms = 0;
  int last_milestone = 0; // highest milestone already announced for this print
  bool paused = false;
  bool offline_announced = false;
  std::set<std::string> error_codes; // errors already announced and still active

  nlohmann::json toJson() const;
  static LifecycleMemory fromJson(const nlohmann::json& json); // tolerant: bad fields are defaults
};

class LifecycleDetector {
public:
  LifecycleDetector(LifecycleSettings settings, LifecycleMemory memory, int64_t now_ms);

  // One status report (the normalized object). Returns the events it causes, in order.
  std::vector<LifecycleEvent> onReport(const nlohmann::json& status, int64_t now_ms);
  // Advances the clock: fires printer_offline once the debounce has run out.
  std::vector<LifecycleEvent> onTick(int64_t now_ms);
  // A stop requested through the API: an end reported shortly after it counts as cancelled even
  // when the printer does not say why it stopped.
  void noteStopRequested(int64_t now_ms) { stop_requested_ms_ = now_ms; }

  void setSettings(LifecycleSettings settings) { settings_ = std::move(settings); }
  const LifecycleMemory& memory() const { return memory_; }
  // When the pending offline announcement is due, if one is pending.
  std::optional<int64_t> offlineDueMs() const;
  // Start of the current print, if one is running.
  std::optional<int64_t> printStartedMs() const;

private:
  void connectivity(bool connected, int64_t now_ms, std::vector<LifecycleEvent>& out);
  void printState(const nlohmann::json& status, int64_t now_ms, std::vector<LifecycleEvent>& out);
  void errors(const nlohmann::json& status, std::vector<LifecycleEvent>& out);
  void startPrint(const nlohmann::json& status, const std::string& key, int64_t now_ms,
                  std::vector<LifecycleEvent>& out);
  void endPrint(const std::string& type, const std::string& outcome, const nlohmann::json& status,
                const nlohmann::json& error, int64_t now_ms, std::vector<LifecycleEvent>& out);
  nlohmann::json printData(const nlohmann::json& status, int64_t now_ms) const;

  LifecycleSettings settings_;
  LifecycleMemory memory_;
  std::optional<int64_t> offline_since_ms_; // disconnected, announcement pending
  std::string last_connection_error_;
  int64_t stop_requested_ms_ = -1;
};

} // namespace bambuddy::printers
