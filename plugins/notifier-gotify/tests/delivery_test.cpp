// Deliveries to a real local receiver standing in for Gotify: the exact POST /message, Markdown
// escaping, priorities, and how Gotify's answers become results.
#include "gotify_test_util.h"

namespace bambuddy::notifier_gotify::test {
namespace delivery_test {

using bambuddy::testing::ReceivedRequest;

TEST_F(GotifyTest, PostsAMarkdownMessageWithTheAppToken) {
  rx_.setDefault({200, {{"Content-Type", "application/json"}}, R"({"id":25,"appid":5})"});
  auto gotify = create(local());
  SendOutcome out = send(*gotify, notification("print_complete", kCompleteData));
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_DELIVERED) << out.error();
  ReceivedRequest r = onlyRequest();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/message");
  EXPECT_EQ(r.header("x-gotify-key"), kAppToken);
  EXPECT_FALSE(r.hasHeader("authorization"));
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.header("user-agent"), "Bambuddy-Gotify/1");
  json expected = {{"title", "Print finished: benchy.3mf on Workshop X1C"},
                   {"message",
                    "benchy\\.3mf finished on Workshop X1C after 2h 15m, using 45\\.2 g of filament\\.\n\n"
                    "- **Printer:** Workshop X1C\n- **File:** benchy\\.3mf\n- **Duration:** 2h 15m\n"
                    "- **Filament:** 45\\.2 g"},
                   {"priority", 5},
                   {"extras", {{"client::display", {{"contentType", "text/markdown"}}}}}};
  EXPECT_EQ(json::parse(r.body), expected) << r.body;
}

TEST_F(GotifyTest, PriorityPerEventPathPrefixAndEscaping) {
  json s = local("/gotify/");
  s["priority"] = {{"print_failed", 10}, {"*", 2}};
  auto gotify = create(s);
  json data = {{"printer", "P1S"}, {"filename", "[x](http://evil) *b*.3mf"}, {"reason", "nozzle_clog"}};
  ASSERT_EQ(send(*gotify, notification("print_failed", data)).result.outcome, BB_DELIVERY_DELIVERED);
  ASSERT_EQ(send(*gotify, notification("printer_offline", {{"printer", "P1S"}})).result.outcome,
            BB_DELIVERY_DELIVERED);
  ASSERT_EQ(send(*gotify, notification("print_complete", json::object())).result.outcome,
            BB_DELIVERY_DELIVERED);
  auto reqs = rx_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].target, "/gotify/message");
  json failed = json::parse(reqs[0].body);
  EXPECT_EQ(failed["priority"], 10);
  EXPECT_EQ(failed["title"], "Print failed: [x](http://evil) *b*.3mf on P1S"); // the title is plain text
  EXPECT_EQ(failed["message"], "\\[x\\]\\(http://evil\\) \\*b\\*\\.3mf failed on P1S: nozzle\\_clog\\.\n\n"
                               "- **Printer:** P1S\n- **File:** \\[x\\]\\(http://evil\\) \\*b\\*\\.3mf");
  EXPECT_EQ(json::parse(reqs[1].body)["priority"], 2); // "*"
  json bare = json::parse(reqs[2].body);
  EXPECT_EQ(bare["priority"], 2);
  EXPECT_EQ(bare["message"].get<std::string>().find("- **"), std::string::npos); // no facts, no list
}

TEST_F(GotifyTest, AnswersBecomeResults) {
  auto gotify = create(local());
  rx_.enqueue({401,
               {},
               R"({"error":"Unauthorized","errorCode":401,"errorDescription":"you need to provide a valid )"
               R"(access token or user credentials to access this api"})"});
  SendOutcome unauthorized = send(*gotify, notification("test", json::object()));
  EXPECT_EQ(unauthorized.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(unauthorized.error(),
            "HTTP 401 from Gotify: the app_token is not valid (use an application token, not a client token) "
            "(Gotify says: you need to provide a valid access token or user credentials to access this api)");
  rx_.enqueue({404, {}, "404 page not found"});
  EXPECT_EQ(send(*gotify, notification("test", json::object())).error(),
            "HTTP 404 from Gotify: no Gotify API at this server URL (check the path prefix)");
  rx_.enqueue({429, {{"Retry-After", "12"}}, ""});
  SendOutcome limited = send(*gotify, notification("test", json::object()));
  EXPECT_EQ(limited.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_EQ(limited.result.retry_after_ms, 12000);
  rx_.enqueue({503, {}, "maintenance"});
  EXPECT_EQ(send(*gotify, notification("test", json::object())).result.outcome, BB_DELIVERY_RETRYABLE);
}

TEST_F(GotifyTest, SsrfGuardAndTheTokenStaysSecret) {
  auto metadata = create({{"server", "http://[fd00:ec2::254]"}, {"app_token", kAppToken}});
  EXPECT_EQ(send(*metadata, notification("test", json::object())).error(),
            "target address fd00:ec2::254 is refused by the SSRF guard (cloud metadata)");
  auto denied = create(local(), {{"deny_cidrs", {"127.0.0.0/8"}}});
  EXPECT_EQ(send(*denied, notification("test", json::object())).result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(rx_.requestCount(), 0u);
  // Loopback and the LAN are allowed by default (a Gotify server on the same machine works).
  auto gotify = create(local());
  EXPECT_EQ(send(*gotify, notification("test", json::object())).result.outcome, BB_DELIVERY_DELIVERED);
  EXPECT_TRUE(host_.logged("pushing to Gotify on " + rx_.url("")));
  EXPECT_TRUE(neverLogged("SECRET"));
}

} // namespace delivery_test
} // namespace bambuddy::notifier_gotify::test
