// Deliveries to a real local receiver standing in for Slack: the exact Block Kit request, and how
// Slack's answers (plain-text errors, rate limits, outages) become results.
#include "slack_test_util.h"

namespace bambuddy::notifier_slack::test {
namespace delivery_test {

using bambuddy::testing::ReceivedRequest;

TEST_F(SlackTest, PostsBlocksWithFieldsAndATextFallback) {
  rx_.setDefault({200, {{"Content-Type", "text/html"}}, "ok"});
  auto slack = createLocal(local());
  SendOutcome out = send(*slack, notification("print_complete", kCompleteData));
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_DELIVERED) << out.error();
  ReceivedRequest r = onlyRequest();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, kWebhookPath);
  EXPECT_EQ(r.header("content-type"), "application/json; charset=utf-8");
  EXPECT_EQ(r.header("user-agent"), "Bambuddy-Slack/1");
  json expected = {
      {"text",
       "Print finished: benchy.3mf on Workshop X1C\nbenchy.3mf finished on Workshop X1C after 2h 15m, "
       "using 45.2 g of filament."},
      {"blocks",
       {{{"type", "header"},
         {"text",
          {{"type", "plain_text"}, {"text", "Print finished: benchy.3mf on Workshop X1C"}, {"emoji", true}}}},
        {{"type", "section"},
         {"text",
          {{"type", "mrkdwn"},
           {"text", "benchy.3mf finished on Workshop X1C after 2h 15m, using 45.2 g of filament."}}}},
        {{"type", "section"},
         {"fields",
          {{{"type", "mrkdwn"}, {"text", "*Printer*\nWorkshop X1C"}},
           {{"type", "mrkdwn"}, {"text", "*File*\nbenchy.3mf"}},
           {{"type", "mrkdwn"}, {"text", "*Duration*\n2h 15m"}},
           {{"type", "mrkdwn"}, {"text", "*Filament*\n45.2 g"}}}}},
        {{"type", "context"},
         {"elements",
          {{{"type", "mrkdwn"}, {"text", "Bambuddy · print_complete · 2024-01-15T14:30:00Z"}}}}}}}};
  EXPECT_EQ(json::parse(r.body), expected) << json::parse(r.body).dump(2);
}

TEST_F(SlackTest, DataCannotMentionOrLink) {
  auto slack = createLocal(local());
  json data = {{"printer", "<!channel> & co"}, {"filename", "<http://evil|click>.3mf"}};
  ASSERT_EQ(send(*slack, notification("print_started", data)).result.outcome, BB_DELIVERY_DELIVERED);
  json body = json::parse(onlyRequest().body);
  EXPECT_EQ(body["blocks"][1]["text"]["text"], "&lt;!channel&gt; &amp; co started printing "
                                               "&lt;http://evil|click&gt;.3mf.");
  EXPECT_EQ(body["blocks"][2]["fields"][0]["text"], "*Printer*\n&lt;!channel&gt; &amp; co");
  EXPECT_EQ(body["text"].get<std::string>().find("<!channel>"), std::string::npos);
  // The header is plain_text: shown as typed, never interpreted.
  EXPECT_EQ(body["blocks"][0]["text"]["text"], "Print started: <http://evil|click>.3mf on <!channel> & co");
}

TEST_F(SlackTest, AnswersBecomeResults) {
  auto slack = createLocal(local());
  rx_.enqueue({429, {{"Retry-After", "30"}}, "rate_limited"});
  SendOutcome limited = send(*slack, notification("test", json::object()));
  EXPECT_EQ(limited.result.outcome, BB_DELIVERY_RETRYABLE);
  EXPECT_EQ(limited.result.retry_after_ms, 30000);
  EXPECT_EQ(limited.error(),
            "HTTP 429 from Slack: rate limited, retry after 30 s (Slack says: rate_limited)");
  rx_.enqueue({403, {}, "invalid_token"});
  SendOutcome revoked = send(*slack, notification("test", json::object()));
  EXPECT_EQ(revoked.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(revoked.error(),
            "HTTP 403 from Slack: the webhook is not allowed to post (revoked, or the app lost "
            "access to the channel) (Slack says: invalid_token)");
  rx_.enqueue({404, {}, "no_service"});
  SendOutcome missing = send(*slack, notification("test", json::object()));
  EXPECT_EQ(missing.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(missing.error(),
            "HTTP 404 from Slack: the webhook does not exist (removed, or a wrong webhook_url) (Slack says: "
            "no_service)");
  rx_.enqueue({401, {}, ""});
  EXPECT_EQ(send(*slack, notification("test", json::object())).result.outcome, BB_DELIVERY_PERMANENT);
  rx_.enqueue({410, {}, "channel_is_archived"});
  SendOutcome archived = send(*slack, notification("test", json::object()));
  EXPECT_EQ(archived.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(archived.result.http_status, 410);
  rx_.enqueue({500, {}, "rollup_error"});
  EXPECT_EQ(send(*slack, notification("test", json::object())).result.outcome, BB_DELIVERY_RETRYABLE);
}

TEST_F(SlackTest, SsrfGuardAndSecrecy) {
  auto metadata = create({{"webhook_url", "http://169.254.169.254/services/T1/B1/x"}},
                         {{"webhook_origins", {"http://169.254.169.254"}}});
  EXPECT_EQ(send(*metadata, notification("test", json::object())).error(),
            "target address 169.254.169.254 is refused by the SSRF guard (cloud metadata)");
  json config = localConfig();
  config["deny_cidrs"] = {"127.0.0.1"};
  auto denied = create(local(), config);
  SendOutcome d = send(*denied, notification("test", json::object()));
  EXPECT_EQ(d.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(d.error(),
            "target address 127.0.0.1 is refused by the SSRF guard (deny_cidrs entry 127.0.0.1/32)");
  EXPECT_EQ(rx_.requestCount(), 0u);
  EXPECT_TRUE(host_.logged("posting to a Slack incoming webhook on " + rx_.url("")));
  EXPECT_TRUE(neverLogged("SECRET"));
}

} // namespace delivery_test
} // namespace bambuddy::notifier_slack::test
