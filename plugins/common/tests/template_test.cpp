// The {{field}} renderer and the notification it reads from.
#include "text/event_texts.h"
#include "text/notification.h"
#include "text/template.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace bambuddy::common::text {
namespace template_test {

const char* kSample = R"({"id":"evt_1","event":"print_complete","timestamp":"2024-01-15T14:30:00Z",
  "data":{"printer":"Workshop X1C","printer_id":1,"filename":"benchy.3mf","duration":8100,
          "filament_used":45.2,"status":"success","archive_id":12,"ok":true,"none":null,
          "ams":{"tray":"A2"},"tags":["a","b"],"empty":""}})";

std::string render(const std::string& source, const Notification& n) {
  return Template::parse(source).render([&](const std::string& name) { return n.field(name); });
}

std::string parseError(const std::string& source) {
  try {
    Template::parse(source);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(Template, RendersDataFieldsEventAndTimestamp) {
  Notification n = parseNotification(kSample);
  EXPECT_EQ(render("Print finished: {{filename}} on {{printer}}", n),
            "Print finished: benchy.3mf on Workshop X1C");
  EXPECT_EQ(render("{{event}} at {{timestamp}} ({{id}})", n),
            "print_complete at 2024-01-15T14:30:00Z (evt_1)");
  EXPECT_EQ(render("{{ printer_id }}/{{filament_used}}/{{ok}}/{{tags}}", n), "1/45.2/true/[\"a\",\"b\"]");
  EXPECT_EQ(render("tray {{ams.tray}}", n), "tray A2");
  EXPECT_EQ(render("took {{duration_text}}", n), "took 2h 15m");
  EXPECT_EQ(render("no braces } here {", n), "no braces } here {");
  EXPECT_EQ(render("", n), "");
}

TEST(Template, MissingNullAndEmptyUseTheFallback) {
  Notification n = parseNotification(kSample);
  EXPECT_EQ(render("[{{missing}}][{{none}}][{{empty}}]", n), "[][][]");
  EXPECT_EQ(render("{{missing|n/a}} {{none|-}} {{empty|(empty)}} {{printer|x}}", n),
            "n/a - (empty) Workshop X1C");
  EXPECT_EQ(render("{{ams.missing|?}} {{printer.name|?}}", n), "? ?");
}

TEST(Template, SyntaxErrorsNameTheOffset) {
  EXPECT_EQ(parseError("Hi {{printer"), "unclosed '{{' at offset 3");
  EXPECT_EQ(parseError("a {{}} b"), "empty placeholder at offset 2");
  EXPECT_EQ(parseError("{{ |x}}"), "empty placeholder at offset 0");
  EXPECT_EQ(parseError("x {{file name}}"),
            "placeholder 'file name' at offset 2: a name may only contain letters, digits, '_' and '.'");
  EXPECT_EQ(parseError("{{a..b}}"), "placeholder 'a..b' at offset 0: empty name segment around '.'");
  EXPECT_EQ(parseError("{{a {{b}}"), "'{{' inside the placeholder at offset 0");
  EXPECT_EQ(Template::parse("{{a}} {{b|c}} {{a}}").fields(), (std::vector<std::string>{"a", "b", "a"}));
}

TEST(Notification, ParseChecksTheShape) {
  auto error = [](const std::string& json) -> std::string {
    try {
      parseNotification(json);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "(accepted)";
  };
  EXPECT_EQ(error("{"), "notification is not valid JSON");
  EXPECT_EQ(error("[]"), "notification must be a JSON object, got array");
  EXPECT_EQ(error(R"({"event":"x"})"), "notification has no non-empty string \"id\"");
  EXPECT_EQ(error(R"({"id":"e","event":""})"), "notification has no non-empty string \"event\"");
  EXPECT_EQ(error(R"({"id":"e","event":"x","timestamp":5})"),
            "notification \"timestamp\" must be a string, got number");
  EXPECT_EQ(error(R"({"id":"e","event":"x","data":[1]})"),
            "notification \"data\" must be an object, got array");
  Notification n = parseNotification(R"({"id":"e","event":"test"})");
  EXPECT_TRUE(n.data.is_object());
  EXPECT_EQ(n.timestamp, "");
}

TEST(Notification, DurationText) {
  EXPECT_EQ(durationText(8100), "2h 15m");
  EXPECT_EQ(durationText(2700), "45m");
  EXPECT_EQ(durationText(30), "30s");
  EXPECT_EQ(durationText(90000), "25h 0m");
  EXPECT_EQ(durationText(-5), "0s");
  Notification n = parseNotification(R"({"id":"e","event":"x","data":{"duration":"2h 15m"}})");
  EXPECT_EQ(n.field("duration_text"), "2h 15m");
  EXPECT_FALSE(parseNotification(R"({"id":"e","event":"x"})").field("duration_text").has_value());
}

TEST(EventTexts, EveryDefaultParsesAndReadsWell) {
  Notification n = parseNotification(kSample);
  for (const std::string& event : knownEvents()) {
    EventText t = defaultEventText(event);
    EXPECT_NO_THROW(Template::parse(t.title)) << event;
    EXPECT_NO_THROW(Template::parse(t.message)) << event;
  }
  EventText complete = defaultEventText("print_complete");
  EXPECT_EQ(render(complete.title, n), "Print finished: benchy.3mf on Workshop X1C");
  EXPECT_EQ(render(complete.message, n),
            "benchy.3mf finished on Workshop X1C after 2h 15m, using 45.2 g of filament.");
  Notification bare = parseNotification(R"({"id":"e","event":"print_failed","timestamp":"T"})");
  EXPECT_EQ(render(defaultEventText("print_failed").message, bare),
            "The print failed on a printer: no reason given.");
  EXPECT_EQ(render(defaultEventText("something_new").title, bare), "Bambuddy: print_failed");
}

} // namespace template_test
} // namespace bambuddy::common::text
