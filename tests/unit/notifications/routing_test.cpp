// The router's decision per (event, provider) and the input checks of provider routing fields,
// plus the event catalogue the decisions are made against.
#include "config/core_schema.h"
#include "notifications/event_catalog.h"
#include "notifications/notification_error.h"
#include "notifications/provider.h"
#include "notifications/time_zone.h"

#include <gtest/gtest.h>

#include <set>

namespace bambuddy::notifications {
namespace routing_test {

using nlohmann::json;

// 2024-01-15T12:00:00Z (13:00 in Berlin).
constexpr int64_t kNoon = 1705320000000;

json printEvent(int64_t printer_id) {
  return {{"printer", "X1C"}, {"printer_id", printer_id}, {"filename", "benchy.3mf"}};
}

TEST(Routing, EveryEventReachesAProviderWithoutFilters) {
  ProviderRouting all;
  for (const EventInfo& e : eventCatalog()) {
    EXPECT_EQ(routeEvent(all, true, e.name, e.sample, nullptr, kNoon), Route::Send) << e.name;
  }
}

TEST(Routing, DisabledProvidersGetNothing) {
  ProviderRouting all;
  EXPECT_EQ(routeEvent(all, false, "print_complete", printEvent(1), nullptr, kNoon), Route::Skip);
}

TEST(Routing, EventListSelects) {
  ProviderRouting r;
  r.events = std::vector<std::string>{"print_complete", "print_failed"};
  EXPECT_EQ(routeEvent(r, true, "print_complete", printEvent(1), nullptr, kNoon), Route::Send);
  EXPECT_EQ(routeEvent(r, true, "print_failed", printEvent(1), nullptr, kNoon), Route::Send);
  EXPECT_EQ(routeEvent(r, true, "print_started", printEvent(1), nullptr, kNoon), Route::Skip);
  EXPECT_EQ(routeEvent(r, true, "printer_offline", printEvent(1), nullptr, kNoon), Route::Skip);
}

TEST(Routing, PrinterFilterPassesEventsWithoutAPrinter) {
  ProviderRouting r;
  r.printer_ids = std::vector<int64_t>{2, 5};
  EXPECT_EQ(routeEvent(r, true, "print_started", printEvent(2), nullptr, kNoon), Route::Send);
  EXPECT_EQ(routeEvent(r, true, "print_started", printEvent(5), nullptr, kNoon), Route::Send);
  EXPECT_EQ(routeEvent(r, true, "print_started", printEvent(1), nullptr, kNoon), Route::Skip);
  EXPECT_EQ(routeEvent(r, true, "queue_item_added", json{{"queue_item_id", 7}}, nullptr, kNoon), Route::Send);
  EXPECT_EQ(routeEvent(r, true, "queue_item_added", json{{"printer_id", nullptr}}, nullptr, kNoon),
            Route::Send);
}

TEST(Routing, QuietHoursSuppressInsteadOfSkipping) {
  ProviderRouting r;
  r.quiet_hours = parseQuietHours(json{{"start", "12:30"}, {"end", "13:30"}, {"timezone", "Europe/Berlin"}});
  std::string error;
  auto berlin = TimeZone::load("Europe/Berlin", error);
  ASSERT_NE(berlin, nullptr) << error;
  EXPECT_EQ(routeEvent(r, true, "print_complete", printEvent(1), berlin.get(), kNoon), Route::Suppress);
  EXPECT_EQ(routeEvent(r, true, "print_complete", printEvent(1), berlin.get(), kNoon + 3600000), Route::Send);
  // Without the zone the same window is read as UTC: noon UTC is outside it.
  EXPECT_EQ(routeEvent(r, true, "print_complete", printEvent(1), nullptr, kNoon), Route::Send);
  // Filters still come first: an unsubscribed event is not even logged as suppressed.
  r.events = std::vector<std::string>{"print_failed"};
  EXPECT_EQ(routeEvent(r, true, "print_complete", printEvent(1), berlin.get(), kNoon), Route::Skip);
}

TEST(Routing, EventsInputChecks) {
  EXPECT_FALSE(parseEvents(nullptr).has_value());
  EXPECT_EQ(*parseEvents(json{"print_complete", "test"}),
            (std::vector<std::string>{"print_complete", "test"}));
  struct Case {
    json input;
    std::string message;
  };
  for (const Case& c :
       {Case{json::array(), "events: must be a non-empty list"},
        Case{json("print_complete"), "events: must be a non-empty list"},
        Case{json{"print_complete", 3}, "events[1]: must be an event name"},
        Case{json{"print_done"}, "events[0]: unknown event 'print_done' (known: print_started, "},
        Case{json{"test", "test"}, "events[1]: 'test' is listed twice"}}) {
    try {
      parseEvents(c.input);
      ADD_FAILURE() << "accepted " << c.input.dump();
    } catch (const NotificationError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(c.message, 0), 0u) << e.what();
      EXPECT_EQ(e.code(), "invalid_events");
    }
  }
}

TEST(Routing, PrinterIdsInputChecks) {
  EXPECT_FALSE(parsePrinterIds(nullptr).has_value());
  EXPECT_EQ(*parsePrinterIds(json{3, 1}), (std::vector<int64_t>{3, 1}));
  for (const json& bad : {json::array(), json{0}, json{-1}, json{"1"}, json{1.5}, json{1, 1}, json(1)}) {
    EXPECT_THROW(parsePrinterIds(bad), NotificationError) << bad.dump();
  }
}

TEST(EventCatalog, NamesAreUniqueAndSamplesRealistic) {
  std::set<std::string> names;
  for (const EventInfo& e : eventCatalog()) {
    EXPECT_TRUE(names.insert(e.name).second) << e.name;
    EXPECT_FALSE(e.description.empty()) << e.name;
    ASSERT_TRUE(e.sample.is_object()) << e.name;
    if (e.name.rfind("print_", 0) == 0 || e.name.rfind("printer_", 0) == 0) {
      EXPECT_TRUE(e.sample.contains("printer")) << e.name;
      EXPECT_TRUE(e.sample["printer_id"].is_number_integer()) << e.name;
    }
  }
  for (const char* page_event : {"print_started", "print_progress", "print_complete", "print_failed",
                                 "printer_offline", "printer_error", "test"}) {
    EXPECT_TRUE(isCatalogEvent(page_event)) << page_event;
  }
  const json& complete = eventCatalog()[2].sample;
  EXPECT_EQ(eventCatalog()[2].name, "print_complete");
  EXPECT_EQ(complete["status"], "success");
  EXPECT_EQ(complete["duration"], 8100);
  EXPECT_EQ(complete["filament_used"], 45.2);
}

TEST(EventCatalog, ConfigSchemaAcceptsExactlyTheCatalogue) {
  json schema = json::parse(config::kCoreSchemaJson);
  json allowed = schema["properties"]["plugins"]["properties"]["load"]["items"]["properties"]["instances"]
                       ["items"]["properties"]["events"]["items"]["enum"];
  std::vector<std::string> names;
  for (const EventInfo& e : eventCatalog()) {
    names.push_back(e.name);
  }
  EXPECT_EQ(allowed.get<std::vector<std::string>>(), names);
}

TEST(EventCatalog, NotificationBodyHasTheDocumentedShape) {
  json n = makeNotification("evt_0123456789abcdef01234567", "print_complete", 1705329000123, json{{"a", 1}});
  EXPECT_EQ(n, (json{{"id", "evt_0123456789abcdef01234567"},
                     {"event", "print_complete"},
                     {"timestamp", "2024-01-15T14:30:00Z"},
                     {"data", {{"a", 1}}}}));
  EXPECT_EQ(makeNotification("evt_1", "test", 0, nullptr)["data"], json::object());
}

} // namespace routing_test
} // namespace bambuddy::notifications
