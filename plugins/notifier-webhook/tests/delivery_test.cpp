// Deliveries to a real local receiver: the body, the Standard Webhooks headers checked with an
// independent HMAC, rotation, custom headers, and how every kind of answer maps to a result.
#include "webhook_test_util.h"

#include <atomic>
#include <chrono>
#include <thread>

namespace bambuddy::notifier_webhook::test {
namespace delivery_test {

using testing::ReceivedRequest;
using testing::ScriptedResponse;

int64_t steadyMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

TEST_F(WebhookTest, PostsExactlyTheNotificationWithStandardHeaders) {
  rx_.setDefault({200, {}, "ok"});
  auto hook = create(settingsFor("/hook?src=bambuddy"));
  SendOutcome out = send(*hook);
  ASSERT_EQ(out.rc, BB_OK) << out.message;
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_DELIVERED) << out.error();
  EXPECT_EQ(out.result.http_status, 200);
  EXPECT_EQ(out.snippet(), "ok");
  EXPECT_EQ(out.error(), "");
  ASSERT_EQ(rx_.requestCount(), 1u);
  ReceivedRequest r = rx_.requests()[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/hook?src=bambuddy");
  EXPECT_EQ(r.body, kNotification); // byte for byte
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.header("content-length"), std::to_string(kNotification.size()));
  EXPECT_EQ(r.header("user-agent"), "Bambuddy-Webhook/1");
  EXPECT_EQ(r.header("webhook-id"), "evt_01HMZ3V9X2");
  EXPECT_EQ(r.header("webhook-timestamp"), "1705329000");
  EXPECT_FALSE(r.hasHeader("webhook-signature")); // no secret: unsigned
  EXPECT_FALSE(r.hasHeader("expect"));
  EXPECT_EQ(r.headerCount("content-type"), 1u);
}

TEST_F(WebhookTest, SignatureVerifiesIndependently) {
  const std::string secret = makeSecret(7);
  json s = settingsFor();
  s["secret"] = secret;
  auto hook = create(s);
  ASSERT_EQ(send(*hook).result.outcome, BB_DELIVERY_DELIVERED);
  ReceivedRequest r = rx_.requests().at(0);
  std::vector<std::string> signatures = splitSpaces(r.header("webhook-signature"));
  ASSERT_EQ(signatures.size(), 1u) << r.header("webhook-signature");
  EXPECT_EQ(signatures[0],
            expectedSignature(secret, r.header("webhook-id"), r.header("webhook-timestamp"), r.body));
  // And it is not a signature of something else: another secret or timestamp does not verify.
  EXPECT_NE(signatures[0],
            expectedSignature(makeSecret(8), r.header("webhook-id"), r.header("webhook-timestamp"), r.body));
  EXPECT_NE(signatures[0], expectedSignature(secret, r.header("webhook-id"), "1705329001", r.body));
}

TEST_F(WebhookTest, WebhookIdStaysAcrossRetriesAndTimestampIsPerAttempt) {
  const std::string secret = makeSecret(9);
  json s = settingsFor();
  s["secret"] = secret;
  auto hook = create(s);
  rx_.enqueue({503, {}, "busy"});
  EXPECT_EQ(send(*hook).result.outcome, BB_DELIVERY_RETRYABLE);
  setNow(kNowMs + 65000); // the core retries a minute later
  EXPECT_EQ(send(*hook).result.outcome, BB_DELIVERY_DELIVERED);
  auto reqs = rx_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].header("webhook-id"), reqs[1].header("webhook-id"));
  EXPECT_EQ(reqs[0].header("webhook-timestamp"), "1705329000");
  EXPECT_EQ(reqs[1].header("webhook-timestamp"), "1705329065");
  for (const ReceivedRequest& r : reqs) {
    EXPECT_EQ(r.header("webhook-signature"),
              expectedSignature(secret, r.header("webhook-id"), r.header("webhook-timestamp"), r.body));
  }
}

TEST_F(WebhookTest, RotationSendsBothSignaturesUntilThePreviousSecretExpires) {
  const std::string current = makeSecret(11);
  const std::string previous = makeSecret(12, 48);
  json s = settingsFor();
  s["secret"] = current;
  s["previous_secret"] = previous;
  s["previous_secret_expires_ms"] = kNowMs + 3600 * 1000;
  auto hook = create(s);
  ASSERT_EQ(send(*hook).result.outcome, BB_DELIVERY_DELIVERED);
  setNow(kNowMs + 3600 * 1000 - 1); // last ms of the overlap
  ASSERT_EQ(send(*hook).result.outcome, BB_DELIVERY_DELIVERED);
  setNow(kNowMs + 3600 * 1000); // expired
  ASSERT_EQ(send(*hook).result.outcome, BB_DELIVERY_DELIVERED);
  auto reqs = rx_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  for (size_t i = 0; i < 2; ++i) {
    const ReceivedRequest& r = reqs[i];
    std::vector<std::string> sigs = splitSpaces(r.header("webhook-signature"));
    ASSERT_EQ(sigs.size(), 2u) << r.header("webhook-signature");
    EXPECT_EQ(sigs[0],
              expectedSignature(current, r.header("webhook-id"), r.header("webhook-timestamp"), r.body));
    EXPECT_EQ(sigs[1],
              expectedSignature(previous, r.header("webhook-id"), r.header("webhook-timestamp"), r.body));
  }
  std::vector<std::string> after = splitSpaces(reqs[2].header("webhook-signature"));
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0], expectedSignature(current, reqs[2].header("webhook-id"),
                                        reqs[2].header("webhook-timestamp"), reqs[2].body));
}

TEST_F(WebhookTest, CustomHeadersAreSent) {
  json s = settingsFor();
  s["headers"] = {{"Authorization", "Bearer ha-token"},
                  {"X-Farm", "workshop \xC3\xA9"},
                  {"User-Agent", "Mine/2"},
                  {"X-Empty", ""}};
  auto hook = create(s);
  ASSERT_EQ(send(*hook).result.outcome, BB_DELIVERY_DELIVERED);
  ReceivedRequest r = rx_.requests().at(0);
  EXPECT_EQ(r.header("authorization"), "Bearer ha-token");
  EXPECT_EQ(r.header("x-farm"), "workshop \xC3\xA9");
  EXPECT_EQ(r.header("user-agent"), "Mine/2");
  EXPECT_EQ(r.headerCount("user-agent"), 1u);
  EXPECT_TRUE(r.hasHeader("x-empty"));
  EXPECT_EQ(r.header("x-empty"), "");
  EXPECT_EQ(r.header("content-type"), "application/json");
}

TEST_F(WebhookTest, AnswersMapToOutcomes) {
  auto hook = create(settingsFor());
  rx_.enqueue({410, {}, "gone for good"});
  SendOutcome gone = send(*hook);
  EXPECT_EQ(gone.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(gone.result.http_status, 410);
  EXPECT_EQ(gone.error(), "HTTP 410 Gone: the receiver asked to stop deliveries");
  EXPECT_EQ(gone.snippet(), "gone for good");

  rx_.enqueue({400, {}, "{\"error\":\"bad payload\"}"});
  SendOutcome bad = send(*hook);
  EXPECT_EQ(bad.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(bad.error(), "HTTP 400 from the receiver");
  EXPECT_EQ(bad.snippet(), "{\"error\":\"bad payload\"}");

  rx_.enqueue({500, {{"Retry-After", "30"}}, "oops"});
  SendOutcome server = send(*hook);
  EXPECT_EQ(server.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_EQ(server.result.http_status, 500);
  EXPECT_EQ(server.result.retry_after_ms, 30000);

  rx_.enqueue({429, {{"Retry-After", "Mon, 15 Jan 2024 14:32:00 GMT"}}, ""});
  SendOutcome limited = send(*hook);
  EXPECT_EQ(limited.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_EQ(limited.result.retry_after_ms, 120000); // two minutes after the host's now

  rx_.enqueue({408, {}, ""});
  EXPECT_EQ(send(*hook).result.outcome, BB_DELIVERY_RETRYABLE);
  rx_.enqueue({502, {}, ""});
  EXPECT_EQ(send(*hook).result.outcome, BB_DELIVERY_RETRYABLE);
  rx_.enqueue({202, {}, ""});
  EXPECT_EQ(send(*hook).result.outcome, BB_DELIVERY_DELIVERED);
}

TEST_F(WebhookTest, RedirectsAreNeverFollowed) {
  testing::HttpReceiver elsewhere;
  auto hook = create(settingsFor("/old"));
  rx_.enqueue({302, {{"Location", elsewhere.url("/new")}}, ""});
  SendOutcome out = send(*hook);
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(out.result.http_status, 302);
  EXPECT_EQ(out.error(),
            "HTTP 302 redirect refused: redirects are not followed; set the URL to the final address "
            "(it points to http://127.0.0.1:" +
                std::to_string(elsewhere.port()) + ")");
  EXPECT_EQ(rx_.requestCount(), 1u);
  EXPECT_EQ(elsewhere.requestCount(), 0u);
  rx_.enqueue({308, {{"Location", elsewhere.url("/new")}}, ""});
  EXPECT_EQ(send(*hook).result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(elsewhere.requestCount(), 0u);
}

TEST_F(WebhookTest, SlowReceiverIsRetryableBeforeTheDeadline) {
  rx_.setDefault({200, {}, "late", 10000});
  auto hook = create(settingsFor()); // timeout_ms 10000 by default: the deadline is the tighter bound
  int64_t start = steadyMs();
  SendOutcome out = send(*hook, kNotification, 400);
  int64_t took = steadyMs() - start;
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_EQ(out.error().rfind("no complete answer within 400 ms (timed out)", 0), 0u) << out.error();
  EXPECT_GE(took, 350);
  EXPECT_LT(took, 1500);
  EXPECT_EQ(out.result.http_status, 0);

  json s = settingsFor();
  s["timeout_ms"] = 300; // now the setting is the tighter bound
  auto quick = create(s);
  start = steadyMs();
  out = send(*quick, kNotification, 60000);
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_EQ(out.error().rfind("no complete answer within 300 ms (timed out)", 0), 0u) << out.error();
  EXPECT_LT(steadyMs() - start, 1500);
}

TEST_F(WebhookTest, DeadlineAlreadyPassedSendsNothing) {
  auto hook = create(settingsFor());
  SendOutcome out = send(*hook, kNotification, 0);
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_EQ(out.error(), "the delivery deadline passed before the attempt started");
  EXPECT_EQ(rx_.requestCount(), 0u);
}

TEST_F(WebhookTest, MalformedNotificationIsPermanent) {
  json s = settingsFor();
  s["secret"] = makeSecret(1);
  auto hook = create(s);
  SendOutcome a = send(*hook, "not json");
  EXPECT_EQ(a.rc, BB_OK);
  EXPECT_EQ(a.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(a.error(), "notification is not valid JSON");
  SendOutcome b = send(*hook, R"({"id":"evt.1","event":"test"})");
  EXPECT_EQ(b.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(b.error(), "notification id contains '.', which Standard Webhooks signing forbids");
  SendOutcome c = send(*hook, R"({"event":"test"})");
  EXPECT_EQ(c.error(), "notification has no non-empty string \"id\"");
  EXPECT_EQ(rx_.requestCount(), 0u);
}

TEST_F(WebhookTest, UnreachableReceiverIsRetryable) {
  auto hook = create(settingsFor());
  rx_.stop();
  SendOutcome out = send(*hook);
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_NE(out.error().find("127.0.0.1"), std::string::npos) << out.error();
  EXPECT_EQ(out.result.http_status, 0);
}

TEST_F(WebhookTest, ConcurrentSendsEachSignTheirOwnMessage) {
  const std::string secret = makeSecret(21);
  json s = settingsFor();
  s["secret"] = secret;
  auto hook = create(s);
  constexpr int kThreads = 6;
  constexpr int kPerThread = 5;
  std::atomic<int> delivered{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string body = R"({"id":"evt_)" + std::to_string(t) + "_" + std::to_string(i) +
                           R"(","event":"test","timestamp":"2024-01-15T14:30:00Z","data":{}})";
        if (send(*hook, body).result.outcome == BB_DELIVERY_DELIVERED) {
          ++delivered;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(delivered.load(), kThreads * kPerThread);
  auto reqs = rx_.requests();
  ASSERT_EQ(reqs.size(), static_cast<size_t>(kThreads * kPerThread));
  std::set<std::string> ids;
  for (const ReceivedRequest& r : reqs) {
    EXPECT_EQ(json::parse(r.body)["id"], r.header("webhook-id"));
    EXPECT_EQ(r.header("webhook-signature"),
              expectedSignature(secret, r.header("webhook-id"), r.header("webhook-timestamp"), r.body));
    ids.insert(r.header("webhook-id"));
  }
  EXPECT_EQ(ids.size(), reqs.size());
}

TEST_F(WebhookTest, SecretsNeverReachResultsOrLogs) {
  const std::string secret = makeSecret(31);
  json s = settingsFor("/p");
  s["secret"] = secret;
  s["headers"] = {{"Authorization", "Bearer TOPSECRETTOKEN"}};
  auto hook = create(s);
  rx_.enqueue({500, {}, "no"});
  SendOutcome out = send(*hook);
  rx_.stop();
  SendOutcome down = send(*hook);
  for (const SendOutcome* o : {&out, &down}) {
    EXPECT_EQ(o->error().find(secret.substr(6)), std::string::npos);
    EXPECT_EQ(o->error().find("TOPSECRETTOKEN"), std::string::npos);
  }
  for (const auto& line : host_.logs()) {
    EXPECT_EQ(line.message.find(secret.substr(6)), std::string::npos) << line.message;
    EXPECT_EQ(line.message.find("TOPSECRETTOKEN"), std::string::npos) << line.message;
  }
}

} // namespace delivery_test
} // namespace bambuddy::notifier_webhook::test
