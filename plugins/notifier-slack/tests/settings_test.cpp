// Bad settings are refused at creation with a message naming the field and the reason.
#include "slack_test_util.h"

namespace bambuddy::notifier_slack::test {
namespace settings_test {

const std::string P = "notifier.slack settings: ";

TEST_F(SlackTest, WebhookUrlMustBeASlackIncomingWebhook) {
  EXPECT_EQ(refusal(json::object()), P + "/webhook_url is required");
  EXPECT_EQ(refusal({{"webhook_url", json::array()}}), P + "/webhook_url must be a string, got array");
  EXPECT_EQ(refusal({{"webhook_url", "https://hooks.example.com/services/T1/B1/SECRET"}}),
            P + "/webhook_url must be a Slack incoming webhook URL on https://hooks.slack.com, not "
                "https://hooks.example.com");
  EXPECT_EQ(refusal({{"webhook_url", "http://hooks.slack.com/services/T1/B1/SECRET"}}),
            P + "/webhook_url must be a Slack incoming webhook URL on https://hooks.slack.com, not "
                "http://hooks.slack.com");
  const std::string path_error = P + "/webhook_url path must be /services/T.../B.../<secret> (copy the URL "
                                     "from the Slack app's Incoming Webhooks page)";
  EXPECT_EQ(refusal({{"webhook_url", "https://hooks.slack.com/workflows/T1/A1/SECRET"}}), path_error);
  EXPECT_EQ(refusal({{"webhook_url", "https://hooks.slack.com/services/T1/B1"}}), path_error);
  EXPECT_EQ(refusal({{"webhook_url", "https://hooks.slack.com/services/T1/B1/SECRET?x=1"}}),
            P + "/webhook_url must not have a query, fragment or user:password@ part");
  EXPECT_EQ(refusal({{"webhook_url", "https://hooks.slack.com/services/T1/B1/SECRET"}, {"channel", "#farm"}}),
            P + "unknown property /channel (allowed: webhook_url, templates, timeout_ms)");
  EXPECT_NO_THROW(create({{"webhook_url", "https://hooks.slack.com/services/T0AB12/B0CD34/SECRETabc123"}}));
  EXPECT_NO_THROW(create({{"webhook_url", "https://hooks.slack-gov.com/services/T0AB12/B0CD34/SECRETabc"}},
                         {{"webhook_origins", {"https://hooks.slack-gov.com"}}}));
  EXPECT_TRUE(neverLogged("SECRET"));
}

TEST_F(SlackTest, TemplatesTimeoutAndConfig) {
  json s = {{"webhook_url", "https://hooks.slack.com/services/T0AB12/B0CD34/abc123"}};
  s["templates"] = {{"print_failed", {{"text", "x"}}}};
  EXPECT_EQ(refusal(s), P + "/templates/print_failed: unknown field 'text' (allowed: title, message)");
  s["templates"] = {{"*", {{"message", "{{ok}}"}}}};
  s["timeout_ms"] = "5000";
  EXPECT_EQ(refusal(s), P + "/timeout_ms must be an integer from 100 to 120000, got string");
  s.erase("timeout_ms");
  EXPECT_NO_THROW(create(s));
  EXPECT_EQ(refusal(s, {{"webhook_origins", {"ftp://hooks.slack.com"}}}, "invalid_config"),
            "notifier.slack config: /webhook_origins/0 scheme 'ftp' is not allowed (use http or https)");
}

} // namespace settings_test
} // namespace bambuddy::notifier_slack::test
