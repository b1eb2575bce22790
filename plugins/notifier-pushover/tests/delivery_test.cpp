// Deliveries to a real local receiver standing in for Pushover: the exact form POST, priorities
// with emergency retry/expire, and how Pushover's answers become results.
#include "pushover_test_util.h"

namespace bambuddy::notifier_pushover::test {
namespace delivery_test {

using bambuddy::testing::ReceivedRequest;

const std::string kOk = R"({"status":1,"request":"647d2300-702c-4b38-8b2f-d56326ae460b"})";

TEST_F(PushoverTest, PostsTheFormFields) {
  rx_.setDefault({200, {{"Content-Type", "application/json"}}, kOk});
  auto pushover = create(local());
  SendOutcome out = send(*pushover, notification("print_complete", kCompleteData));
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_DELIVERED) << out.error();
  ReceivedRequest r = onlyRequest();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/1/messages.json");
  EXPECT_EQ(r.header("content-type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(r.header("user-agent"), "Bambuddy-Pushover/1");
  std::map<std::string, std::string> expected = {
      {"token", kAppToken},
      {"user", kUserKey},
      {"title", "Print finished: benchy.3mf on Workshop X1C"},
      {"message", "benchy.3mf finished on Workshop X1C after 2h 15m, using 45.2 g of filament."},
      {"priority", "0"}};
  EXPECT_EQ(decodeForm(r.body), expected) << r.body;
}

TEST_F(PushoverTest, PriorityPerEventAndEmergencyRetryExpire) {
  json s = local();
  s["priority"] = {{"print_failed", 2}, {"printer_offline", -2}};
  s["retry"] = 60;
  s["expire"] = 3600;
  s["device"] = "phone,tablet";
  s["sound"] = "siren";
  auto pushover = create(s);
  json data = {{"printer", "P1S"}, {"filename", "a&b=c %.3mf"}, {"reason", "clog"}};
  ASSERT_EQ(send(*pushover, notification("print_failed", data)).result.outcome, BB_DELIVERY_DELIVERED);
  ASSERT_EQ(send(*pushover, notification("printer_offline", data)).result.outcome, BB_DELIVERY_DELIVERED);
  ASSERT_EQ(send(*pushover, notification("printer_error", data)).result.outcome, BB_DELIVERY_DELIVERED);
  auto reqs = rx_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  auto failed = decodeForm(reqs[0].body);
  EXPECT_EQ(failed["priority"], "2");
  EXPECT_EQ(failed["retry"], "60");
  EXPECT_EQ(failed["expire"], "3600");
  EXPECT_EQ(failed["device"], "phone,tablet");
  EXPECT_EQ(failed["sound"], "siren");
  EXPECT_EQ(failed["message"], "a&b=c %.3mf failed on P1S: clog."); // survives the form encoding
  auto offline = decodeForm(reqs[1].body);
  EXPECT_EQ(offline["priority"], "-2");
  EXPECT_EQ(offline.count("retry"), 0u); // only with priority 2
  EXPECT_EQ(offline.count("expire"), 0u);
  EXPECT_EQ(decodeForm(reqs[2].body)["priority"], "1"); // default for printer_error
}

TEST_F(PushoverTest, AnswersBecomeResults) {
  auto pushover = create(local());
  rx_.enqueue({400,
               {{"Content-Type", "application/json"}},
               R"({"user":"invalid","errors":["user identifier is not a valid user, group, or subscribed )"
               R"(user key"],"status":0,"request":"5042853c-402d-4a18-abcb-168734a801de"})"});
  SendOutcome bad_user = send(*pushover, notification("test", json::object()));
  EXPECT_EQ(bad_user.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(bad_user.result.http_status, 400);
  EXPECT_EQ(bad_user.error(),
            "HTTP 400 from Pushover: Pushover refused the message (check user_key, app_token "
            "and device) (Pushover says: user identifier is not a valid user, group, or "
            "subscribed user key)");
  rx_.enqueue({401, {}, R"({"token":"invalid","errors":["application token is invalid"],"status":0})"});
  SendOutcome bad_token = send(*pushover, notification("test", json::object()));
  EXPECT_EQ(bad_token.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(
      bad_token.error(),
      "HTTP 401 from Pushover: Pushover refused the app_token (Pushover says: application token is invalid)");
  rx_.enqueue(
      {429, {{"Retry-After", "3600"}}, R"({"errors":["application over its monthly limit"],"status":0})"});
  SendOutcome limited = send(*pushover, notification("test", json::object()));
  EXPECT_EQ(limited.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_EQ(limited.result.retry_after_ms, 3600000);
  rx_.enqueue({500, {}, "oops"});
  EXPECT_EQ(send(*pushover, notification("test", json::object())).result.outcome, BB_DELIVERY_RETRYABLE);
}

TEST_F(PushoverTest, SsrfGuardAndSecretsStayOut) {
  json s = local();
  s["api_url"] = "http://100.100.100.200/1/messages.json";
  auto metadata = create(s);
  EXPECT_EQ(send(*metadata, notification("test", json::object())).error(),
            "target address 100.100.100.200 is refused by the SSRF guard (cloud metadata)");
  auto denied = create(local(), {{"deny_cidrs", {"127.0.0.0/8"}}});
  EXPECT_EQ(send(*denied, notification("test", json::object())).result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(rx_.requestCount(), 0u);
  EXPECT_TRUE(host_.logged("sending through Pushover's API on " + rx_.url("")));
  EXPECT_TRUE(neverLogged("SECRET"));
}

} // namespace delivery_test
} // namespace bambuddy::notifier_pushover::test
