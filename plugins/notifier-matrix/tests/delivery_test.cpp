// Deliveries to a real local receiver standing in for a homeserver: the exact PUT with its
// transaction id, HTML escaping, idempotent retries, and how the homeserver's answers become
// results.
#include "matrix_test_util.h"

namespace bambuddy::notifier_matrix::test {
namespace delivery_test {

using bambuddy::testing::ReceivedRequest;

const std::string kOk = R"({"event_id":"$YUwRidLecu:example.org"})";

TEST_F(MatrixTest, PutsTheMessageWithATransactionIdFromTheEventId) {
  rx_.setDefault({200, {{"Content-Type", "application/json"}}, kOk});
  auto matrix = create(local());
  SendOutcome out = send(*matrix, notification("print_complete", kCompleteData, "evt_01HMZ3V9X2"));
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_DELIVERED) << out.error();
  ReceivedRequest r = onlyRequest();
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.target, kRoomPath + "bambuddy.evt_01HMZ3V9X2");
  EXPECT_EQ(r.header("authorization"), "Bearer " + kAccessToken);
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.header("user-agent"), "Bambuddy-Matrix/1");
  json expected = {
      {"msgtype", "m.text"},
      {"body",
       "Print finished: benchy.3mf on Workshop X1C\nbenchy.3mf finished on Workshop X1C after 2h 15m, "
       "using 45.2 g of filament."},
      {"format", "org.matrix.custom.html"},
      {"formatted_body",
       "<b>Print finished: benchy.3mf on Workshop X1C</b><br>benchy.3mf finished on Workshop "
       "X1C after 2h 15m, using 45.2 g of filament."}};
  EXPECT_EQ(json::parse(r.body), expected) << r.body;
}

TEST_F(MatrixTest, ARetryReusesTheTransactionIdAndAnotherEventDoesNot) {
  auto matrix = create(local());
  rx_.enqueue({502, {}, "Bad Gateway"}); // e.g. the proxy lost the answer after the homeserver stored it
  EXPECT_EQ(send(*matrix, notification("test", json::object(), "evt_A")).result.outcome,
            BB_DELIVERY_RETRYABLE);
  EXPECT_EQ(send(*matrix, notification("test", json::object(), "evt_A")).result.outcome,
            BB_DELIVERY_DELIVERED);
  EXPECT_EQ(send(*matrix, notification("test", json::object(), "evt_B/2 x")).result.outcome,
            BB_DELIVERY_DELIVERED);
  auto reqs = rx_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].target, kRoomPath + "bambuddy.evt_A");
  EXPECT_EQ(reqs[1].target, reqs[0].target);
  // Any id stays one path segment.
  EXPECT_EQ(reqs[2].target, kRoomPath + "bambuddy.evt_B%2F2%20x");
}

TEST_F(MatrixTest, HtmlIsEscapedAndNoticeWorks) {
  json s = local();
  s["msgtype"] = "m.notice";
  s["homeserver"] = rx_.url("/synapse/");
  auto matrix = create(s);
  json data = {
      {"printer", "<script>alert('x')</script>"}, {"filename", "a&b\"c\".3mf"}, {"reason", "line1\nline2"}};
  ASSERT_EQ(send(*matrix, notification("print_failed", data)).result.outcome, BB_DELIVERY_DELIVERED);
  ReceivedRequest r = onlyRequest();
  EXPECT_EQ(r.target.rfind("/synapse/_matrix/client/v3/rooms/", 0), 0u) << r.target;
  json body = json::parse(r.body);
  EXPECT_EQ(body["msgtype"], "m.notice");
  EXPECT_EQ(
      body["formatted_body"],
      "<b>Print failed: a&amp;b&quot;c&quot;.3mf on &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</b><br>"
      "a&amp;b&quot;c&quot;.3mf failed on &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;: line1<br>line2.");
  EXPECT_EQ(body["body"], "Print failed: a&b\"c\".3mf on <script>alert('x')</script>\n"
                          "a&b\"c\".3mf failed on <script>alert('x')</script>: line1\nline2.");
}

TEST_F(MatrixTest, AnswersBecomeResults) {
  auto matrix = create(local());
  rx_.enqueue(
      {429, {}, R"({"errcode":"M_LIMIT_EXCEEDED","error":"Too Many Requests","retry_after_ms":2500})"});
  SendOutcome limited = send(*matrix, notification("test", json::object()));
  EXPECT_EQ(limited.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_EQ(limited.result.retry_after_ms, 2500);
  EXPECT_EQ(limited.error(),
            "HTTP 429 from the Matrix homeserver: rate limited, retry after 2500 ms (the Matrix "
            "homeserver says: M_LIMIT_EXCEEDED: Too Many Requests)");
  rx_.enqueue(
      {401,
       {},
       R"({"errcode":"M_UNKNOWN_TOKEN","error":"Invalid access token passed.","soft_logout":false})"});
  SendOutcome unknown = send(*matrix, notification("test", json::object()));
  EXPECT_EQ(unknown.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(unknown.error(),
            "HTTP 401 from the Matrix homeserver: the access_token is not valid (logged out or "
            "revoked) (the Matrix homeserver says: M_UNKNOWN_TOKEN: Invalid access token passed.)");
  rx_.enqueue({403, {}, R"({"errcode":"M_FORBIDDEN","error":"User @bot:example.org not in room"})"});
  SendOutcome forbidden = send(*matrix, notification("test", json::object()));
  EXPECT_EQ(forbidden.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_NE(forbidden.error().find("the account may not post in this room"), std::string::npos);
  rx_.enqueue({504, {}, ""});
  EXPECT_EQ(send(*matrix, notification("test", json::object())).result.outcome, BB_DELIVERY_RETRYABLE);
}

TEST_F(MatrixTest, SsrfGuardAndTheTokenStaysSecret) {
  json s = local();
  s["homeserver"] = "http://169.254.169.254";
  auto metadata = create(s);
  EXPECT_EQ(send(*metadata, notification("test", json::object())).error(),
            "target address 169.254.169.254 is refused by the SSRF guard (cloud metadata)");
  auto denied = create(local(), {{"deny_cidrs", {"127.0.0.0/8"}}});
  EXPECT_EQ(send(*denied, notification("test", json::object())).result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(rx_.requestCount(), 0u);
  EXPECT_TRUE(host_.logged("sending to Matrix room !AbCdEf123:example.org through " + rx_.url("")));
  EXPECT_TRUE(neverLogged("SECRET"));
}

} // namespace delivery_test
} // namespace bambuddy::notifier_matrix::test
