// preview(): the push send() would publish, from the same builder, without the topic, the token or
// a request.
#include "ntfy_test_util.h"

namespace bambuddy::notifier_ntfy::test {
namespace preview_test {

TEST_F(NtfyTest, PreviewDescribesThePushWithoutSecrets) {
  json s = local("farm_SECRET_topic");
  s["token"] = "tk_SECRETtoken000000000000000";
  s["click"] = "http://bambuddy.local/archives/{{archive_id}}";
  auto ntfy = create(s);
  bambuddy::testing::PreviewOutcome p = ntfy->preview(notification("print_complete", kCompleteData));
  ASSERT_EQ(p.rc, BB_OK) << p.reason << ": " << p.message;
  json expected = {{"title", "Print finished: benchy.3mf on Workshop X1C"},
                   {"message", "benchy.3mf finished on Workshop X1C after 2h 15m, using 45.2 g of filament."},
                   {"priority", 3},
                   {"tags", {"white_check_mark"}},
                   {"click", "http://bambuddy.local/archives/12"}};
  EXPECT_EQ(json::parse(p.json), expected) << p.json;
  EXPECT_EQ(p.json.find("SECRET"), std::string::npos);
  EXPECT_EQ(rx_.requestCount(), 0u);
}

TEST_F(NtfyTest, PreviewMatchesWhatSendPublishes) {
  json s = local();
  s["templates"] = {{"print_failed", {{"title", "{{printer}} failed"}, {"message", "{{reason|unknown}}"}}}};
  s["priority"] = {{"print_failed", 5}};
  auto ntfy = create(s);
  const std::string body = notification("print_failed", {{"printer", "P1S"}});
  json described = json::parse(ntfy->preview(body).json);
  ASSERT_EQ(send(*ntfy, body).result.outcome, BB_DELIVERY_DELIVERED);
  ASSERT_TRUE(rx_.waitForRequests(1, 5000));
  auto r = rx_.requests()[0];
  EXPECT_EQ(described["title"], r.header("title"));
  EXPECT_EQ(described["message"], r.body);
  EXPECT_EQ(described["message"], "unknown");
  EXPECT_EQ(described["priority"], 5);
  EXPECT_EQ(r.header("priority"), "5");
}

TEST_F(NtfyTest, BrokenTemplateOrNotificationIsInvalidArgument) {
  json s = local();
  s["templates"] = {{"print_complete", {{"title", "Done: {{filename"}}}};
  EXPECT_NE(refusal(s).find("/templates/print_complete/title: unclosed '{{' at offset 6"), std::string::npos);
  auto ntfy = create(local());
  bambuddy::testing::PreviewOutcome p = ntfy->preview("not json");
  EXPECT_EQ(p.rc, BB_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(p.reason, "invalid_notification");
  EXPECT_EQ(rx_.requestCount(), 0u);
}

} // namespace preview_test
} // namespace bambuddy::notifier_ntfy::test
