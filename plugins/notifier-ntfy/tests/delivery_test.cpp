// Publishing to a real local receiver standing in for ntfy: what the server sees.
#include "ntfy_test_util.h"

#include <chrono>

namespace bambuddy::notifier_ntfy::test {
namespace delivery_test {

using testing::ReceivedRequest;

TEST_F(NtfyTest, PublishesTitlePriorityTagsAndMessageFromDefaults) {
  rx_.setDefault({200, {{"Content-Type", "application/json"}}, R"({"id":"m1","event":"message"})"});
  auto ntfy = create(local());
  SendOutcome out = send(*ntfy, notification("print_complete", kCompleteData));
  ASSERT_EQ(out.rc, BB_OK) << out.message;
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_DELIVERED) << out.error();
  EXPECT_EQ(out.result.http_status, 200);
  EXPECT_STREQ(out.result.response_snippet, R"({"id":"m1","event":"message"})");
  ASSERT_EQ(rx_.requestCount(), 1u);
  ReceivedRequest r = rx_.requests()[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/farm_alerts");
  EXPECT_EQ(r.header("title"), "Print finished: benchy.3mf on Workshop X1C");
  EXPECT_EQ(r.header("priority"), "3");
  EXPECT_EQ(r.header("tags"), "white_check_mark");
  EXPECT_FALSE(r.hasHeader("click"));
  EXPECT_FALSE(r.hasHeader("authorization"));
  EXPECT_EQ(r.header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.header("user-agent"), "Bambuddy-Ntfy/1");
  EXPECT_EQ(r.body, "benchy.3mf finished on Workshop X1C after 2h 15m, using 45.2 g of filament.");
}

TEST_F(NtfyTest, FailureEventsAreHighPriorityByDefault) {
  auto ntfy = create(local());
  for (const char* event : {"print_failed", "printer_error", "printer_offline"}) {
    ASSERT_EQ(
        send(*ntfy, notification(event, {{"printer", "P1S"}, {"filename", "cube.3mf"}, {"reason", "clog"}}))
            .result.outcome,
        BB_DELIVERY_DELIVERED);
  }
  auto reqs = rx_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].header("priority"), "4");
  EXPECT_EQ(reqs[0].header("tags"), "x");
  EXPECT_EQ(reqs[0].header("title"), "Print failed: cube.3mf on P1S");
  EXPECT_EQ(reqs[0].body, "cube.3mf failed on P1S: clog.");
  EXPECT_EQ(reqs[1].header("priority"), "4");
  EXPECT_EQ(reqs[1].header("tags"), "warning");
  EXPECT_EQ(reqs[2].header("priority"), "4");
  EXPECT_EQ(reqs[2].header("title"), "Printer offline: P1S");
}

TEST_F(NtfyTest, OverridesTokenAndClick) {
  json s = local("prints");
  s["token"] = "tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2";
  s["priority"] = {{"print_complete", 5}, {"*", 1}};
  s["tags"] = {{"print_complete", {"tada", "printer"}}, {"*", json::array()}};
  s["click"] = "http://bambuddy.local/archives/{{archive_id}}?file={{filename}}";
  s["templates"] = {{"print_complete", {{"title", "Done: {{filename}}"}}},
                    {"*", {{"message", "{{event}} on {{printer|?}} at {{timestamp}}"}}}};
  auto ntfy = create(s);
  json data = kCompleteData;
  data["filename"] = "big part & co.3mf";
  ASSERT_EQ(send(*ntfy, notification("print_complete", data)).result.outcome, BB_DELIVERY_DELIVERED);
  ASSERT_EQ(send(*ntfy, notification("queue_item_added", {{"filename", "x.3mf"}})).result.outcome,
            BB_DELIVERY_DELIVERED);
  auto reqs = rx_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  const ReceivedRequest& a = reqs[0];
  EXPECT_EQ(a.path, "/prints");
  EXPECT_EQ(a.header("authorization"), "Bearer tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2");
  EXPECT_EQ(a.header("title"), "Done: big part & co.3mf");
  EXPECT_EQ(a.header("priority"), "5");
  EXPECT_EQ(a.header("tags"), "tada,printer");
  EXPECT_EQ(a.header("click"), "http://bambuddy.local/archives/12?file=big%20part%20%26%20co.3mf");
  EXPECT_EQ(a.body,
            "print_complete on Workshop X1C at 2024-01-15T14:30:00Z"); // "*" message, event's own title
  const ReceivedRequest& b = reqs[1];
  EXPECT_EQ(b.header("priority"), "1");
  EXPECT_FALSE(b.hasHeader("tags")); // "*": [] sends none
  EXPECT_EQ(b.header("title"), "Queued: x.3mf");
  EXPECT_EQ(b.body, "queue_item_added on ? at 2024-01-15T14:30:00Z");
}

TEST_F(NtfyTest, NonAsciiAndLineBreaksAreSafeInHeaders) {
  auto ntfy = create(local());
  json data = {{"printer", "Werkstatt \xC3\x9C"
                           "berdruck"},
               {"filename", "w\xC3\xBCrfel\r\nX-Injected: 1.3mf"}};
  ASSERT_EQ(send(*ntfy, notification("print_started", data)).result.outcome, BB_DELIVERY_DELIVERED);
  ReceivedRequest r = rx_.requests().at(0);
  EXPECT_FALSE(r.hasHeader("x-injected"));
  EXPECT_EQ(r.header("title").rfind("=?UTF-8?B?", 0), 0u) << r.header("title");
  EXPECT_EQ(decodeHeader(r.header("title")),
            "Print started: w\xC3\xBCrfel  X-Injected: 1.3mf on Werkstatt \xC3\x9C"
            "berdruck");
  // The message body keeps its line break: it is content, not a header.
  EXPECT_NE(r.body.find("w\xC3\xBCrfel\r\nX-Injected"), std::string::npos) << r.body;
}

TEST_F(NtfyTest, ServerWithPathPrefixAndLongMessages) {
  json s = {{"server", rx_.url("/ntfy/")}, {"topic", "t1"}};
  s["templates"] = {{"*", {{"message", "{{blob}}"}}}};
  auto ntfy = create(s);
  std::string blob(5000, 'a');
  ASSERT_EQ(send(*ntfy, notification("test", {{"blob", blob}})).result.outcome, BB_DELIVERY_DELIVERED);
  ReceivedRequest r = rx_.requests().at(0);
  EXPECT_EQ(r.path, "/ntfy/t1");
  EXPECT_EQ(r.body.size(), 4096u); // ntfy's message limit
  EXPECT_EQ(r.header("title"), "Bambuddy test notification");
  EXPECT_EQ(r.header("tags"), "bell");
}

TEST_F(NtfyTest, RateLimitAndErrorsMapToOutcomes) {
  auto ntfy = create(local());
  const std::string n = notification("print_complete", kCompleteData);
  rx_.enqueue({429, {{"Retry-After", "60"}}, R"({"code":42901,"http":429,"error":"limit reached"})"});
  SendOutcome limited = send(*ntfy, n);
  EXPECT_EQ(limited.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_EQ(limited.result.retry_after_ms, 60000);
  EXPECT_EQ(limited.result.http_status, 429);
  EXPECT_STREQ(limited.result.response_snippet, R"({"code":42901,"http":429,"error":"limit reached"})");
  rx_.enqueue({403, {}, R"({"code":40301,"error":"forbidden"})"});
  SendOutcome forbidden = send(*ntfy, n);
  EXPECT_EQ(forbidden.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(forbidden.error(), "HTTP 403 from the receiver");
  rx_.enqueue({301, {{"Location", "https://ntfy.example/farm_alerts"}}, ""});
  EXPECT_EQ(send(*ntfy, n).result.outcome, BB_DELIVERY_PERMANENT);
  rx_.enqueue({502, {}, "bad gateway"});
  EXPECT_EQ(send(*ntfy, n).result.outcome, BB_DELIVERY_RETRYABLE);
  SendOutcome junk = send(*ntfy, "[1,2]");
  EXPECT_EQ(junk.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(junk.error(), "notification must be a JSON object, got array");
}

TEST_F(NtfyTest, TimeoutAndSsrfGuard) {
  auto ntfy = create(local());
  rx_.setDefault({200, {}, "", 10000});
  auto start = std::chrono::steady_clock::now();
  SendOutcome slow = send(*ntfy, notification("test", json::object()), 300);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  EXPECT_EQ(slow.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_EQ(slow.error().rfind("no complete answer within 300 ms (timed out)", 0), 0u) << slow.error();
  EXPECT_LT(took.count(), 1500);

  auto metadata = create({{"server", "http://169.254.169.254"}, {"topic", "x"}});
  EXPECT_EQ(send(*metadata, notification("test", json::object())).error(),
            "target address 169.254.169.254 is refused by the SSRF guard (cloud metadata)");
  auto denied = create(local(), {{"deny_cidrs", {"127.0.0.0/8"}}});
  SendOutcome d = send(*denied, notification("test", json::object()));
  EXPECT_EQ(d.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(d.error(),
            "target address 127.0.0.1 is refused by the SSRF guard (deny_cidrs entry 127.0.0.0/8)");
}

TEST_F(NtfyTest, TokenAndTopicStayOutOfLogsAndErrors) {
  json s = local("secret_topic_name");
  s["token"] = "tk_SUPERSECRET";
  auto ntfy = create(s);
  rx_.stop();
  SendOutcome out = send(*ntfy, notification("test", json::object()));
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_EQ(out.error().find("SUPERSECRET"), std::string::npos);
  EXPECT_EQ(out.error().find("secret_topic_name"), std::string::npos);
  for (const auto& line : host_.logs()) {
    EXPECT_EQ(line.message.find("SUPERSECRET"), std::string::npos) << line.message;
    EXPECT_EQ(line.message.find("secret_topic_name"), std::string::npos) << line.message;
  }
}

} // namespace delivery_test
} // namespace bambuddy::notifier_ntfy::test
