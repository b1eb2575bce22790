// The built-in title and message templates per event, shared by the notifiers that write prose
// (ntfy, e-mail) so every channel words an event the same way. Operators override them per event.
#pragma once

#include <string>
#include <vector>

namespace bambuddy::common::text {

struct EventText {
  const char* title;
  const char* message;
};

// The defaults for `event`; an unknown event gets a generic text naming it.
EventText defaultEventText(const std::string& event);

// Every event with its own default text (the generic one excluded), in a stable order.
std::vector<std::string> knownEvents();

} // namespace bambuddy::common::text
