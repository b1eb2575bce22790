#include "text/event_facts.h"

#include "text/utf8.h"

namespace bambuddy::common::text {

std::vector<EventFact> eventFacts(const Notification& n) {
  struct Source {
    const char* name;
    const char* field;
    const char* suffix;
  };
  static const Source kSources[] = {{"Printer", "printer", ""},
                                    {"File", "filename", ""},
                                    {"Duration", "duration_text", ""},
                                    {"Filament", "filament_used", " g"}};
  std::vector<EventFact> out;
  for (const Source& s : kSources) {
    std::optional<std::string> value = n.field(s.field);
    if (!value || value->empty()) {
      continue;
    }
    std::string line = singleLine(*value);
    if (!line.empty()) {
      out.push_back({s.name, utf8Snippet(line + s.suffix, 256)});
    }
  }
  return out;
}

} // namespace bambuddy::common::text
