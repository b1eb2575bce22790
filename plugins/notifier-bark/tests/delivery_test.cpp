// Deliveries to a real local receiver standing in for bark-server: the exact POST /push, levels,
// and how Bark's answers become results.
#include "bark_test_util.h"

namespace bambuddy::notifier_bark::test {
namespace delivery_test {

using bambuddy::testing::ReceivedRequest;

TEST_F(BarkTest, PostsThePushWithTheKeyInTheBody) {
  rx_.setDefault({200, {{"Content-Type", "application/json"}}, R"({"code":200,"message":"success"})"});
  json s = local();
  s["group"] = "Bambuddy";
  s["sound"] = "minuet";
  auto bark = create(s);
  SendOutcome out = send(*bark, notification("print_complete", kCompleteData));
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_DELIVERED) << out.error();
  ReceivedRequest r = onlyRequest();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/push"); // the key never in the URL
  EXPECT_EQ(r.header("content-type"), "application/json; charset=utf-8");
  EXPECT_EQ(r.header("user-agent"), "Bambuddy-Bark/1");
  json expected = {{"device_key", kDeviceKey},
                   {"title", "Print finished: benchy.3mf on Workshop X1C"},
                   {"body", "benchy.3mf finished on Workshop X1C after 2h 15m, using 45.2 g of filament."},
                   {"level", "active"},
                   {"group", "Bambuddy"},
                   {"sound", "minuet"}};
  EXPECT_EQ(json::parse(r.body), expected) << r.body;
}

TEST_F(BarkTest, LevelsPerEventOrForAll) {
  json s = local();
  s["server"] = rx_.url("/bark/");
  s["level"] = {{"print_failed", "critical"}};
  auto bark = create(s);
  ASSERT_EQ(send(*bark, notification("print_failed", {{"printer", "P1S"}})).result.outcome,
            BB_DELIVERY_DELIVERED);
  ASSERT_EQ(send(*bark, notification("printer_error", {{"printer", "P1S"}})).result.outcome,
            BB_DELIVERY_DELIVERED);
  ASSERT_EQ(send(*bark, notification("print_progress", {{"progress", 50}})).result.outcome,
            BB_DELIVERY_DELIVERED);
  s["level"] = "passive";
  auto quiet = create(s);
  ASSERT_EQ(send(*quiet, notification("print_failed", json::object())).result.outcome, BB_DELIVERY_DELIVERED);
  auto reqs = rx_.requests();
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_EQ(reqs[0].target, "/bark/push");
  EXPECT_EQ(json::parse(reqs[0].body)["level"], "critical");
  EXPECT_EQ(json::parse(reqs[1].body)["level"], "timeSensitive"); // default
  EXPECT_EQ(json::parse(reqs[2].body)["level"], "passive");       // default
  EXPECT_EQ(json::parse(reqs[3].body)["level"], "passive");       // one level for all
  EXPECT_FALSE(json::parse(reqs[3].body).contains("group"));
}

TEST_F(BarkTest, AnswersBecomeResults) {
  auto bark = create(local());
  rx_.enqueue({400,
               {},
               R"({"code":400,"message":"failed to get device token: failed to get [x] device token from )"
               R"(database","timestamp":1705329000})"});
  SendOutcome unknown = send(*bark, notification("test", json::object()));
  EXPECT_EQ(unknown.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(unknown.error(),
            "HTTP 400 from Bark: Bark refused the push (an unknown device_key, or the app was "
            "reinstalled) (Bark says: failed to get device token: failed to get [x] device "
            "token from database)");
  rx_.enqueue({401, {}, "Unauthorized"});
  EXPECT_EQ(send(*bark, notification("test", json::object())).error(),
            "HTTP 401 from Bark: the Bark server refused access (Bark says: Unauthorized)");
  rx_.enqueue({429, {{"Retry-After", "5"}}, ""});
  SendOutcome limited = send(*bark, notification("test", json::object()));
  EXPECT_EQ(limited.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_EQ(limited.result.retry_after_ms, 5000);
  rx_.enqueue({500, {}, R"({"code":500,"message":"push failed: apns unavailable"})"});
  SendOutcome down = send(*bark, notification("test", json::object()));
  EXPECT_EQ(down.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_EQ(down.error(), "HTTP 500 from Bark (Bark says: push failed: apns unavailable)");
}

TEST_F(BarkTest, SsrfGuardAndTheKeyStaysSecret) {
  json s = local();
  s["server"] = "http://169.254.0.7:8080";
  auto link_local = create(s);
  EXPECT_EQ(send(*link_local, notification("test", json::object())).error(),
            "target address 169.254.0.7 is refused by the SSRF guard (link-local)");
  auto denied = create(local(), {{"deny_cidrs", {"127.0.0.0/8"}}});
  EXPECT_EQ(send(*denied, notification("test", json::object())).result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(rx_.requestCount(), 0u);
  EXPECT_TRUE(host_.logged("pushing through the Bark server on " + rx_.url("")));
  EXPECT_TRUE(neverLogged("SECRET"));
}

} // namespace delivery_test
} // namespace bambuddy::notifier_bark::test
