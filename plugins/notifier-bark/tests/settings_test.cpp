// Bad settings are refused at creation with a message naming the field and the reason.
#include "bark_test_util.h"

namespace bambuddy::notifier_bark::test {
namespace settings_test {

const std::string P = "notifier.bark settings: ";

TEST_F(BarkTest, DeviceKeyServerAndLevel) {
  EXPECT_EQ(refusal(json::object()),
            P + "/device_key is required (the key in the Bark app's URL, https://api.day.app/<key>/)");
  EXPECT_EQ(
      refusal({{"device_key", "SECRET/x"}}),
      P + "/device_key must be letters and digits only (the key in the Bark app's URL, without slashes)");
  json s = local();
  s["server"] = "https://api.day.app/push?x";
  EXPECT_EQ(refusal(s), P + "/server must not have a query, fragment or user:password@ part");
  s.erase("server");
  EXPECT_NO_THROW(create(s));
  EXPECT_TRUE(host_.logged("pushing through the Bark server on https://api.day.app"));
  s["level"] = "loud";
  EXPECT_EQ(refusal(s), P + "/level must be one of active, timeSensitive, passive, critical (or an object of "
                            "event names to those), got 'loud'");
  s["level"] = 3;
  EXPECT_EQ(refusal(s), P + "/level must be one of active, timeSensitive, passive, critical (or an object of "
                            "event names to those), got number");
  s["level"] = {{"print_failed", "Critical"}};
  EXPECT_EQ(refusal(s),
            P + "/level/print_failed must be one of active, timeSensitive, passive, critical, got "
                "'Critical'");
  s["level"] = {{"print_failed", "critical"}, {"*", "passive"}};
  EXPECT_NO_THROW(create(s));
  s["sound"] = "alarm sound";
  EXPECT_EQ(refusal(s),
            P + "/sound must be a Bark sound name such as minuet or alarm (letters, digits, '_', '-', '.')");
  s.erase("sound");
  s["group"] = std::string(65, 'g');
  EXPECT_EQ(refusal(s), P + "/group must be 1 to 64 bytes long, got 65");
  s.erase("group");
  s["icon"] = "https://x";
  EXPECT_EQ(refusal(s),
            P + "unknown property /icon (allowed: server, device_key, group, sound, level, templates, "
                "timeout_ms)");
  EXPECT_TRUE(neverLogged("SECRET"));
}

} // namespace settings_test
} // namespace bambuddy::notifier_bark::test
