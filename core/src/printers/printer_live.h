// The registry's state for one printer and the JSON helpers its files share (printer_registry.cpp:
// start-up and the report-to-journal path; printer_status.cpp: status answers, the plate gate and
// commands; printer_admin.cpp: the REST records through the records room). Internal to the
// printers area.
#pragma once

#include "printers/lifecycle_detector.h"
#include "printers/printer_registry.h"
#include "printers/printer_store.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace bambuddy::printers {

struct PrinterRegistry::Live {
  PrinterRecord record;
  nlohmann::json status;     // the driver's latest report (null until the first)
  int64_t updated_at_ms = 0; // when it arrived
  std::unique_ptr<LifecycleDetector> detector;
  nlohmann::json persisted; // detector memory as last written to the database
  std::string problem;      // why there is no running driver instance, if so
  nlohmann::json capabilities = nlohmann::json::object();
  bool reached_printing = false; // the current print got past preparing (the bed is in use)
  uint64_t change_seq = 0;       // change_counter_ when its status answer last changed (statusChangesSince)
  // This server instance connects it. Always, unless several instances share the farm: then only
  // while it holds the printer's lease (PrinterRegistry::take/drop); reports and the offline clock
  // of a printer it does not own are ignored, the owner decides its events.
  bool owned = true;
  // While not owned: the status answer its holder published (null until one arrives).
  nlohmann::json remote;
};

namespace detail {

// The value of `key` in `object`, null when `object` is no object or lacks it.
inline nlohmann::json orNull(const nlohmann::json& object, const char* key) {
  if (object.is_object()) {
    auto it = object.find(key);
    if (it != object.end()) {
      return *it;
    }
  }
  return nullptr;
}

inline std::string stringOf(const nlohmann::json& object, const char* key) {
  nlohmann::json v = orNull(object, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

} // namespace detail

} // namespace bambuddy::printers
