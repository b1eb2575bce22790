// Deliveries to a real local receiver standing in for Home Assistant: the exact service call, data
// per event, and how Home Assistant's answers become results.
#include "ha_test_util.h"

namespace bambuddy::notifier_homeassistant::test {
namespace delivery_test {

using bambuddy::testing::ReceivedRequest;

TEST_F(HomeAssistantTest, CallsTheNotifyServiceWithBearerToken) {
  rx_.setDefault({200, {{"Content-Type", "application/json"}}, "[]"});
  json s = local();
  s["data"] = {{"push", {{"sound", "default"}}}};
  auto ha = create(s);
  SendOutcome out = send(*ha, notification("print_complete", kCompleteData));
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_DELIVERED) << out.error();
  ReceivedRequest r = onlyRequest();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/api/services/notify/mobile_app_pixel_8");
  EXPECT_EQ(r.header("authorization"), "Bearer " + kToken);
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.header("user-agent"), "Bambuddy-HomeAssistant/1");
  json expected = {{"title", "Print finished: benchy.3mf on Workshop X1C"},
                   {"message", "benchy.3mf finished on Workshop X1C after 2h 15m, using 45.2 g of filament."},
                   {"data", {{"push", {{"sound", "default"}}}}}};
  EXPECT_EQ(json::parse(r.body), expected) << r.body;
}

TEST_F(HomeAssistantTest, EventDataReplacesDataForItsEvent) {
  json s = local();
  s["url"] = rx_.url("/ha/");
  s["data"] = {{"group", "printers"}};
  json critical = {{"push", {{"sound", {{"name", "default"}, {"critical", 1}, {"volume", 1.0}}}}}};
  s["event_data"] = {{"print_failed", critical}};
  auto ha = create(s);
  ASSERT_EQ(send(*ha, notification("print_failed", {{"printer", "P1S"}})).result.outcome,
            BB_DELIVERY_DELIVERED);
  ASSERT_EQ(send(*ha, notification("print_started", {{"printer", "P1S"}})).result.outcome,
            BB_DELIVERY_DELIVERED);
  auto reqs = rx_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].target, "/ha/api/services/notify/mobile_app_pixel_8");
  EXPECT_EQ(json::parse(reqs[0].body)["data"], critical);
  EXPECT_EQ(json::parse(reqs[1].body)["data"], json({{"group", "printers"}}));
}

TEST_F(HomeAssistantTest, PersistentNotificationByDefault) {
  json s = local();
  s.erase("service");
  auto ha = create(s);
  ASSERT_EQ(send(*ha, notification("printer_offline", {{"printer", "P1S"}})).result.outcome,
            BB_DELIVERY_DELIVERED);
  ReceivedRequest r = onlyRequest();
  EXPECT_EQ(r.target, "/api/services/persistent_notification/create");
  json body = json::parse(r.body);
  EXPECT_EQ(body["title"], "Printer offline: P1S");
  EXPECT_FALSE(body.contains("data"));
}

TEST_F(HomeAssistantTest, AnswersBecomeResults) {
  auto ha = create(local());
  rx_.enqueue({401, {{"Content-Type", "text/plain"}}, "401: Unauthorized"});
  SendOutcome unauthorized = send(*ha, notification("test", json::object()));
  EXPECT_EQ(unauthorized.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(unauthorized.error(), "HTTP 401 from Home Assistant: the token is not valid (create a long-lived "
                                  "access token in your Home Assistant profile) (Home Assistant says: 401: "
                                  "Unauthorized)");
  rx_.enqueue({400, {}, R"({"message": "Service notify.mobile_app_pixel_8 not found."})"});
  EXPECT_EQ(
      send(*ha, notification("test", json::object())).error(),
      "HTTP 400 from Home Assistant: Home Assistant refused the call (an unknown service, or data it does "
      "not accept) (Home Assistant says: Service notify.mobile_app_pixel_8 not found.)");
  rx_.enqueue({502, {}, "Bad Gateway"});
  EXPECT_EQ(send(*ha, notification("test", json::object())).result.outcome, BB_DELIVERY_RETRYABLE);
  rx_.enqueue({429, {{"Retry-After", "9"}}, ""});
  EXPECT_EQ(send(*ha, notification("test", json::object())).result.retry_after_ms, 9000);
}

TEST_F(HomeAssistantTest, SsrfGuardAndTheTokenStaysSecret) {
  json s = local();
  s["url"] = "http://169.254.169.254:8123";
  auto metadata = create(s);
  EXPECT_EQ(send(*metadata, notification("test", json::object())).error(),
            "target address 169.254.169.254 is refused by the SSRF guard (cloud metadata)");
  auto denied = create(local(), {{"deny_cidrs", {"127.0.0.0/8"}}});
  EXPECT_EQ(send(*denied, notification("test", json::object())).result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(rx_.requestCount(), 0u);
  EXPECT_TRUE(host_.logged("calling notify.mobile_app_pixel_8 on Home Assistant at " + rx_.url("")));
  EXPECT_TRUE(neverLogged("SECRET"));
}

} // namespace delivery_test
} // namespace bambuddy::notifier_homeassistant::test
