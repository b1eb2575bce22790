// Bad settings are refused at creation with a message naming the field and the reason.
#include "ha_test_util.h"

namespace bambuddy::notifier_homeassistant::test {
namespace settings_test {

const std::string P = "notifier.homeassistant settings: ";

TEST_F(HomeAssistantTest, UrlTokenAndService) {
  EXPECT_EQ(refusal({{"token", kToken}}), P + "/url is required");
  EXPECT_EQ(refusal({{"url", "homeassistant.local:8123"}, {"token", kToken}}),
            P + "/url is not an absolute URL (expected e.g. http://example.com/...)");
  EXPECT_EQ(refusal({{"url", "http://ha.local"}}),
            P + "/token is required (a long-lived access token from your Home Assistant profile)");
  EXPECT_EQ(
      refusal({{"url", "http://ha.local"}, {"token", "SECRET with space"}}),
      P + "/token must be 1 to 1024 printable ASCII characters without spaces (a long-lived access token "
          "from your Home Assistant profile)");
  const std::string why = P + "/service must be notify.<name> (e.g. notify.mobile_app_pixel_8, lower-case "
                              "letters, digits and '_') or persistent_notification.create, got ";
  json s = local();
  for (const char* bad : {"light.turn_on", "notify", "notify.", "notify.Mobile", "notify/mobile_app",
                          "persistent_notification.dismiss", "notify.a.b"}) {
    s["service"] = bad;
    EXPECT_EQ(refusal(s), why + "'" + bad + "'");
  }
  s["service"] = "notify.notify";
  EXPECT_NO_THROW(create(s));
  EXPECT_TRUE(neverLogged("SECRET"));
}

TEST_F(HomeAssistantTest, DataAndEventData) {
  json s = local();
  s["data"] = "high";
  EXPECT_EQ(refusal(s), P + "/data must be an object (the service call's data), got string");
  s["data"] = {{"blob", std::string(9000, 'x')}};
  EXPECT_EQ(refusal(s), P + "/data is 9011 bytes as JSON; the limit is 8192");
  s.erase("data");
  s["event_data"] = {{"print_failed", json::array()}};
  EXPECT_EQ(refusal(s),
            P + "/event_data/print_failed must be an object (the service call's data), got array");
  s["event_data"] = {{"PrintFailed", json::object()}};
  EXPECT_EQ(refusal(s),
            P + "/event_data/PrintFailed: not an event name (lower-case letters, digits and '_', or \"*\")");
  s["event_data"] = {{"print_failed", {{"priority", "high"}}}};
  EXPECT_NO_THROW(create(s));
  s["service"] = "persistent_notification.create";
  EXPECT_EQ(refusal(s), P + "/event_data is only for notify.<name> services; persistent_notification.create "
                            "takes no data");
  s.erase("event_data");
  s["data"] = {{"x", 1}};
  EXPECT_EQ(refusal(s),
            P + "/data is only for notify.<name> services; persistent_notification.create takes no data");
}

} // namespace settings_test
} // namespace bambuddy::notifier_homeassistant::test
