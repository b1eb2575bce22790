// The short facts of an event that chat services show as fields next to the text (Discord embed
// fields, Slack section fields): printer, file, duration and filament, each only when the event's
// data has it.
#pragma once

#include "text/notification.h"

#include <string>
#include <vector>

namespace bambuddy::common::text {

struct EventFact {
  std::string name;  // "Printer", "File", "Duration", "Filament"
  std::string value; // "Workshop X1C", "benchy.3mf", "2h 15m", "45.2 g"
};

// In that order; values are one line and at most 256 bytes.
std::vector<EventFact> eventFacts(const Notification& notification);

} // namespace bambuddy::common::text
