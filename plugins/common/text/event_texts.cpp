#include "text/event_texts.h"

#include <cstring>

namespace bambuddy::common::text {
namespace {

struct Entry {
  const char* event;
  EventText text;
};

// Fallbacks after '|' keep a sentence readable when a payload lacks the field.
constexpr Entry kTexts[] = {
    {"print_started",
     {"Print started: {{filename|a print}} on {{printer|a printer}}",
      "{{printer|A printer}} started printing {{filename|a file}}."}},
    {"print_progress",
     {"Print {{progress|?}}% done: {{filename|a print}}",
      "{{filename|The print}} on {{printer|a printer}} is {{progress|?}}% done."}},
    {"print_complete",
     {"Print finished: {{filename|a print}} on {{printer|a printer}}",
      "{{filename|The print}} finished on {{printer|a printer}} after {{duration_text|an unknown time}}, "
      "using {{filament_used|an unknown amount of}} g of filament."}},
    {"print_failed",
     {"Print failed: {{filename|a print}} on {{printer|a printer}}",
      "{{filename|The print}} failed on {{printer|a printer}}: {{reason|no reason given}}."}},
    {"print_paused",
     {"Print paused: {{filename|a print}} on {{printer|a printer}}",
      "{{filename|The print}} on {{printer|a printer}} is paused."}},
    {"print_resumed",
     {"Print resumed: {{filename|a print}} on {{printer|a printer}}",
      "{{filename|The print}} on {{printer|a printer}} is printing again."}},
    {"print_cancelled",
     {"Print cancelled: {{filename|a print}} on {{printer|a printer}}",
      "{{filename|The print}} on {{printer|a printer}} was cancelled."}},
    {"printer_offline",
     {"Printer offline: {{printer|a printer}}",
      "{{printer|A printer}} is not reachable (since {{timestamp}})."}},
    {"printer_online",
     {"Printer online: {{printer|a printer}}", "{{printer|A printer}} is connected again."}},
    {"printer_error",
     {"Printer error: {{printer|a printer}}",
      "{{printer|A printer}} reported an error: {{description|see the printer for details}} {{code}}"}},
    {"queue_item_added",
     {"Queued: {{filename|a print}}", "{{filename|A print}} was added to the print queue."}},
    {"queue_item_started",
     {"Queue started: {{filename|a print}} on {{printer|a printer}}",
      "{{filename|A queued print}} started on {{printer|a printer}}."}},
    {"test",
     {"Bambuddy test notification",
      "This is a test notification from Bambuddy. If you can read it, this provider works."}},
};

constexpr EventText kGeneric = {"Bambuddy: {{event}}", "Event {{event}} at {{timestamp}}."};

} // namespace

EventText defaultEventText(const std::string& event) {
  for (const Entry& e : kTexts) {
    if (event == e.event) {
      return e.text;
    }
  }
  return kGeneric;
}

std::vector<std::string> knownEvents() {
  std::vector<std::string> out;
  for (const Entry& e : kTexts) {
    out.emplace_back(e.event);
  }
  return out;
}

} // namespace bambuddy::common::text
