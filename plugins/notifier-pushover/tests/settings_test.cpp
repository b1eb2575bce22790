// Bad settings are refused at creation with a message naming the field and the reason.
#include "pushover_test_util.h"

namespace bambuddy::notifier_pushover::test {
namespace settings_test {

const std::string P = "notifier.pushover settings: ";

TEST_F(PushoverTest, KeysAreCheckedAndNeverEchoed) {
  EXPECT_EQ(refusal({{"app_token", kAppToken}}),
            P + "/user_key is required (your user key or a group key, from the Pushover dashboard)");
  EXPECT_EQ(refusal({{"user_key", "SECRETshort"}, {"app_token", kAppToken}}),
            P + "/user_key must be 30 letters and digits (your user key or a group key, from the Pushover "
                "dashboard)");
  EXPECT_EQ(refusal({{"user_key", kUserKey}}), P + "/app_token is required (an application's API token)");
  EXPECT_EQ(refusal({{"user_key", kUserKey}, {"app_token", 12}}),
            P + "/app_token must be a string, got number");
  EXPECT_TRUE(neverLogged("SECRET"));
}

TEST_F(PushoverTest, PriorityRetryAndExpire) {
  json s = local();
  s["priority"] = {{"print_failed", 3}};
  EXPECT_EQ(refusal(s),
            P + "/priority/print_failed must be an integer from -2 (lowest) to 2 (emergency), got 3");
  s["priority"] = {{"print_failed", 2}};
  EXPECT_EQ(refusal(s),
            P + "/retry is required when a priority is 2 (emergency): seconds between repeats, 30 to 10800");
  s["retry"] = 29;
  EXPECT_EQ(refusal(s), P + "/retry must be an integer from 30 to 10800, got 29");
  s["retry"] = 30;
  EXPECT_EQ(
      refusal(s),
      P + "/expire is required when a priority is 2 (emergency): seconds until repeats stop, 30 to 10800");
  s["expire"] = 10801;
  EXPECT_EQ(refusal(s), P + "/expire must be an integer from 30 to 10800, got 10801");
  s["expire"] = 20;
  EXPECT_EQ(refusal(s), P + "/expire must be an integer from 30 to 10800, got 20");
  s["retry"] = 600;
  s["expire"] = 300;
  EXPECT_EQ(refusal(s), P + "/retry (600) must not be longer than /expire (300)");
  s["expire"] = 10800;
  EXPECT_NO_THROW(create(s));
  s["priority"] = {{"*", -1}};
  s.erase("retry");
  s.erase("expire");
  EXPECT_NO_THROW(create(s)); // no emergency, no retry needed
}

TEST_F(PushoverTest, DeviceSoundAndApiUrl) {
  json s = local();
  s["device"] = "my phone";
  EXPECT_EQ(
      refusal(s),
      P + "/device must be device names (letters, digits, '_', '-', up to 25 each) separated by commas");
  s["device"] = "phone";
  s["sound"] = "a/b";
  EXPECT_EQ(refusal(s),
            P + "/sound must be a sound name such as pushover, siren or none (letters, digits, '_', '-')");
  s.erase("sound");
  s["api_url"] = "gopher://api.pushover.net/1/messages.json";
  EXPECT_EQ(refusal(s), P + "/api_url scheme 'gopher' is not allowed (use http or https)");
  s.erase("api_url");
  EXPECT_NO_THROW(create(s));
  EXPECT_TRUE(host_.logged("sending through Pushover's API on https://api.pushover.net"));
  s["html"] = 1;
  EXPECT_EQ(refusal(s), P + "unknown property /html (allowed: user_key, app_token, priority, retry, expire, "
                            "device, sound, api_url, templates, timeout_ms)");
}

} // namespace settings_test
} // namespace bambuddy::notifier_pushover::test
