// Bad settings are refused at creation with a message naming the field and the reason.
#include "gotify_test_util.h"

namespace bambuddy::notifier_gotify::test {
namespace settings_test {

const std::string P = "notifier.gotify settings: ";

TEST_F(GotifyTest, ServerTokenAndPriority) {
  EXPECT_EQ(refusal({{"app_token", kAppToken}}), P + "/server is required");
  EXPECT_EQ(refusal({{"server", "gotify.local"}, {"app_token", kAppToken}}),
            P + "/server is not an absolute URL (expected e.g. http://example.com/...)");
  EXPECT_EQ(refusal({{"server", "https://gotify.local/?a=1"}, {"app_token", kAppToken}}),
            P + "/server must not have a query, fragment or user:password@ part");
  EXPECT_EQ(refusal({{"server", "https://gotify.local"}}),
            P + "/app_token is required (a Gotify application token, A...)");
  std::string bad = refusal({{"server", "https://gotify.local"}, {"app_token", "SECRET token"}});
  EXPECT_EQ(bad, P + "/app_token must be 1 to 512 printable ASCII characters without spaces (a Gotify "
                     "application token, A...)");
  json s = local();
  s["priority"] = {{"print_failed", 11}};
  EXPECT_EQ(refusal(s), P + "/priority/print_failed must be an integer from 0 to 10, got 11");
  s["priority"] = 5;
  EXPECT_EQ(refusal(s), P + "/priority must be an object of event names to 0..10, got number");
  s.erase("priority");
  s["extras"] = json::object();
  EXPECT_EQ(refusal(s),
            P + "unknown property /extras (allowed: server, app_token, priority, templates, timeout_ms)");
  s.erase("extras");
  s["templates"] = {{"test", {{"message", "{{a|b"}}}};
  EXPECT_EQ(refusal(s), P + "/templates/test/message: unclosed '{{' at offset 0");
  EXPECT_TRUE(neverLogged("SECRET"));
}

} // namespace settings_test
} // namespace bambuddy::notifier_gotify::test
