// The notification template renderer of plugins/common: a template (the input up to the first 0xFF
// byte) rendered against a notification (the JSON after it, or a fixed one), then made into an
// ntfy title and an e-mail subject as the notifiers do. When the first part is a JSON object it is
// also read as an instance's "templates" setting.
#include "text/event_templates.h"
#include "text/event_texts.h"
#include "text/notification.h"
#include "text/rfc2047.h"
#include "text/template.h"
#include "text/utf8.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

using namespace bambuddy::common::text;

namespace {

const char* kNotification =
    R"({"id":"evt_1","event":"print_complete","timestamp":"2024-01-15T14:30:00Z","data":{"printer":"X1C",)"
    R"("printer_id":1,"filename":"benchy.3mf","duration":8100,"ams":{"tray":2,"color":"#FF0000"},"tags":["a",1]}})";

void render(const Template& t, const Notification& n) {
  auto lookup = [&](const std::string& name) { return n.field(name); };
  std::string text = t.render(lookup);
  (void)utf8Snippet(singleLine(text), 200);
  (void)headerText(utf8Snippet(text, 998), " ", 9);
  (void)t.fields();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t cut = input.find('\xff');
  const std::string source = input.substr(0, cut);
  Notification n = parseNotification(kNotification);
  if (cut != std::string::npos) {
    try {
      n = parseNotification(input.substr(cut + 1));
    } catch (const std::invalid_argument&) {
    }
  }
  try {
    render(Template::parse(source), n);
  } catch (const std::invalid_argument&) {
  }
  nlohmann::json templates = nlohmann::json::parse(source, nullptr, false);
  if (!templates.is_discarded()) {
    try {
      EventTemplates t = EventTemplates::parse(&templates, "title", "message", [](const std::string& event) {
        EventText text = defaultEventText(event);
        return std::make_pair(std::string(text.title), std::string(text.message));
      });
      render(t.first(n.event), n);
      render(t.second(n.event), n);
    } catch (const std::invalid_argument&) {
    }
  }
  return 0;
}
