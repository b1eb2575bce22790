// One guarded POST against a real local receiver, and the mapping of what happened to a result.
#include "net/curl_handle.h"
#include "net/http_attempt.h"
#include "support/http_receiver.h"

#include <gtest/gtest.h>

#include <chrono>

namespace bambuddy::common::net {
namespace http_attempt_test {

using Outcome = sdk::DeliveryResult::Outcome;
using testing::HttpReceiver;
using testing::ScriptedResponse;

constexpr int64_t kNow = 1705329000000; // 2024-01-15T14:30:00Z

class HttpAttemptTest : public ::testing::Test {
protected:
  HttpAttempt attemptTo(const std::string& path) {
    HttpAttempt a;
    a.target = parseTargetUrl(rx_.url(path), {"http", "https"});
    a.body = R"({"hello":"world"})";
    a.headers = {"Content-Type: application/json"};
    a.user_agent = "Test/1";
    a.timeout_ms = 5000;
    return a;
  }
  sdk::DeliveryResult run(const HttpAttempt& a, const SsrfPolicy& policy = SsrfPolicy()) {
    return deliveryResult(performPost(a, policy), kNow, a.timeout_ms);
  }

  CurlGlobal curl_;
  HttpReceiver rx_;
};

TEST_F(HttpAttemptTest, PostsTheBodyWithHeaders) {
  rx_.setDefault({200, {}, "thanks"});
  sdk::DeliveryResult r = run(attemptTo("/in"));
  EXPECT_EQ(r.outcome, Outcome::Delivered) << r.error;
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.response_snippet, "thanks");
  EXPECT_EQ(r.error, "");
  ASSERT_EQ(rx_.requestCount(), 1u);
  auto req = rx_.requests()[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.path, "/in");
  EXPECT_EQ(req.body, R"({"hello":"world"})");
  EXPECT_EQ(req.header("content-type"), "application/json");
  EXPECT_EQ(req.header("user-agent"), "Test/1");
  EXPECT_FALSE(req.hasHeader("expect"));
}

TEST_F(HttpAttemptTest, StatusMapping) {
  struct Case {
    int status;
    Outcome outcome;
    std::string error;
  };
  const Case cases[] = {
      {201, Outcome::Delivered, ""},
      {204, Outcome::Delivered, ""},
      {400, Outcome::Permanent, "HTTP 400 from the receiver"},
      {404, Outcome::Permanent, "HTTP 404 from the receiver"},
      {408, Outcome::Retryable, "HTTP 408 from the receiver"},
      {410, Outcome::Permanent, "HTTP 410 Gone: the receiver asked to stop deliveries"},
      {429, Outcome::Retryable, "HTTP 429 from the receiver"},
      {500, Outcome::Retryable, "HTTP 500 from the receiver"},
      {503, Outcome::Retryable, "HTTP 503 from the receiver"},
  };
  for (const Case& c : cases) {
    std::string body = c.status == 204 ? "" : "body " + std::to_string(c.status); // 204 has no content
    rx_.enqueue({c.status, {}, body});
    sdk::DeliveryResult r = run(attemptTo("/s"));
    EXPECT_EQ(r.outcome, c.outcome) << c.status;
    EXPECT_EQ(r.http_status, c.status);
    EXPECT_EQ(r.error, c.error);
    EXPECT_EQ(r.retry_after_ms, 0);
    EXPECT_EQ(r.response_snippet, body);
  }
}

TEST_F(HttpAttemptTest, RetryAfterSecondsAndDate) {
  rx_.enqueue({429, {{"Retry-After", "120"}}, ""});
  sdk::DeliveryResult seconds = run(attemptTo("/"));
  EXPECT_EQ(seconds.outcome, Outcome::Retryable);
  EXPECT_EQ(seconds.retry_after_ms, 120000);
  EXPECT_EQ(seconds.error, "HTTP 429 from the receiver (Retry-After: 120)");
  rx_.enqueue({503, {{"Retry-After", "Mon, 15 Jan 2024 14:35:00 GMT"}}, ""});
  EXPECT_EQ(run(attemptTo("/")).retry_after_ms, 300000); // 5 minutes after kNow
  rx_.enqueue({503, {{"Retry-After", "soon"}}, ""});
  EXPECT_EQ(run(attemptTo("/")).retry_after_ms, 0);
  // Retry-After on a permanent failure is not a retry hint.
  rx_.enqueue({410, {{"Retry-After", "60"}}, ""});
  EXPECT_EQ(run(attemptTo("/")).retry_after_ms, 0);
}

TEST_F(HttpAttemptTest, ParseRetryAfterBounds) {
  EXPECT_EQ(parseRetryAfter(" 7 ", kNow), 7000);
  EXPECT_EQ(parseRetryAfter("0", kNow), 0);
  EXPECT_EQ(parseRetryAfter("99999999999999999999", kNow), 7LL * 24 * 3600 * 1000);
  EXPECT_EQ(parseRetryAfter("Mon, 15 Jan 2024 14:00:00 GMT", kNow), 0); // in the past
  EXPECT_FALSE(parseRetryAfter("-5", kNow).has_value());
  EXPECT_FALSE(parseRetryAfter("", kNow).has_value());
  EXPECT_FALSE(parseRetryAfter("1.5", kNow).has_value());
}

TEST_F(HttpAttemptTest, RedirectsAreNotFollowed) {
  rx_.enqueue({302, {{"Location", "https://elsewhere.example:8443/secret/path?token=abc"}}, "moved"});
  sdk::DeliveryResult r = run(attemptTo("/old"));
  EXPECT_EQ(r.outcome, Outcome::Permanent);
  EXPECT_EQ(r.http_status, 302);
  EXPECT_EQ(r.error,
            "HTTP 302 redirect refused: redirects are not followed; set the URL to the final address "
            "(it points to https://elsewhere.example:8443)");
  EXPECT_EQ(r.error.find("token"), std::string::npos);
  EXPECT_EQ(rx_.requestCount(), 1u);
}

TEST_F(HttpAttemptTest, SlowReceiverTimesOutAsRetryable) {
  rx_.setDefault({200, {}, "", 10000});
  HttpAttempt a = attemptTo("/slow");
  a.timeout_ms = 300;
  auto start = std::chrono::steady_clock::now();
  sdk::DeliveryResult r = run(a);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  EXPECT_EQ(r.outcome, Outcome::Retryable);
  EXPECT_EQ(r.error.rfind("no complete answer within 300 ms (timed out)", 0), 0u) << r.error;
  EXPECT_LT(took.count(), 2000);
  EXPECT_EQ(r.http_status, 0);
}

TEST_F(HttpAttemptTest, RefusedConnectionAndDroppedAnswerAreRetryable) {
  HttpAttempt a = attemptTo("/");
  rx_.enqueue({200, {}, "", 0, true});
  sdk::DeliveryResult dropped = run(a);
  EXPECT_EQ(dropped.outcome, Outcome::Retryable);
  EXPECT_FALSE(dropped.error.empty());
  rx_.stop(); // nothing listens on the port any more
  sdk::DeliveryResult refused = run(a);
  EXPECT_EQ(refused.outcome, Outcome::Retryable);
  EXPECT_NE(refused.error.find("onnect"), std::string::npos) << refused.error;
}

TEST_F(HttpAttemptTest, GuardRefusalIsPermanentAndSendsNothing) {
  SsrfPolicy deny = SsrfPolicy::fromConfig(nlohmann::json::parse(R"({"deny_cidrs":["127.0.0.0/8"]})"));
  sdk::DeliveryResult r = run(attemptTo("/"), deny);
  EXPECT_EQ(r.outcome, Outcome::Permanent);
  EXPECT_EQ(r.error, "target address 127.0.0.1 is refused by the SSRF guard (deny_cidrs entry 127.0.0.0/8)");
  EXPECT_EQ(rx_.requestCount(), 0u);
}

TEST_F(HttpAttemptTest, SnippetIsBoundedValidUtf8) {
  std::string big;
  for (int i = 0; i < 600; ++i) {
    big += "\xC3\xA9"; // é, 1200 bytes
  }
  rx_.enqueue({500, {}, "x" + big});
  sdk::DeliveryResult r = run(attemptTo("/"));
  EXPECT_EQ(r.response_snippet.size(), 1023u); // "x" + 511 whole characters
  EXPECT_EQ(r.response_snippet.substr(0, 3), "x\xC3\xA9");
}

TEST(HttpReceiver, ServesKeepAliveChunkedAndRecordsInOrder) {
  // The receiver itself, as later users (the core's notification tests) rely on it.
  CurlGlobal curl;
  HttpReceiver rx("::1");
  rx.setHandler([](const testing::ReceivedRequest& r) {
    return ScriptedResponse{r.path == "/a" ? 201 : 202, {{"X-Seen", r.path}}, "echo:" + r.body};
  });
  CurlEasy easy;
  std::string answer;
  curl_easy_setopt(
      easy.get(), CURLOPT_WRITEFUNCTION, +[](char* d, size_t s, size_t n, void* u) {
        static_cast<std::string*>(u)->append(d, s * n);
        return s * n;
      });
  curl_easy_setopt(easy.get(), CURLOPT_WRITEDATA, &answer);
  curl_slist* chunked = curl_slist_append(nullptr, "Transfer-Encoding: chunked");
  for (const char* path : {"/a", "/b"}) {
    curl_easy_setopt(easy.get(), CURLOPT_URL, rx.url(path).c_str());
    curl_easy_setopt(easy.get(), CURLOPT_POSTFIELDS, "chunky");
    curl_easy_setopt(easy.get(), CURLOPT_HTTPHEADER, chunked);
    ASSERT_EQ(curl_easy_perform(easy.get()), CURLE_OK);
  }
  curl_slist_free_all(chunked);
  EXPECT_EQ(answer, "echo:chunkyecho:chunky");
  ASSERT_TRUE(rx.waitForRequests(2, 1000));
  auto reqs = rx.requests();
  EXPECT_EQ(reqs[0].path, "/a");
  EXPECT_EQ(reqs[1].path, "/b");
  EXPECT_EQ(reqs[0].body, "chunky");
  EXPECT_EQ(reqs[0].connection, reqs[1].connection); // one kept-alive connection
  EXPECT_EQ(rx.connectionCount(), 1u);
  EXPECT_EQ(rx.url("/x").substr(0, 12), "http://[::1]");
}

} // namespace http_attempt_test
} // namespace bambuddy::common::net
