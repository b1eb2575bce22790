// Bad settings are refused at creation with a message naming the field and the reason.
#include "matrix_test_util.h"

namespace bambuddy::notifier_matrix::test {
namespace settings_test {

const std::string P = "notifier.matrix settings: ";

TEST_F(MatrixTest, HomeserverTokenAndRoom) {
  json s = local();
  s.erase("homeserver");
  EXPECT_EQ(refusal(s), P + "/homeserver is required");
  s["homeserver"] = "matrix://example.org";
  EXPECT_EQ(refusal(s), P + "/homeserver scheme 'matrix' is not allowed (use http or https)");
  s["homeserver"] = "https://matrix.example.org";
  s.erase("access_token");
  EXPECT_EQ(refusal(s), P + "/access_token is required (the bot account's access token)");
  s["access_token"] = "SECRET\ttoken";
  EXPECT_EQ(refusal(s),
            P + "/access_token must be 1 to 1024 printable ASCII characters without spaces (the bot "
                "account's access token)");
  s["access_token"] = kAccessToken;
  s["room_id"] = "#farm:example.org";
  EXPECT_EQ(refusal(s),
            P + "/room_id must be a room id such as !AbCdEf123:example.org, got '#farm:example.org' "
                "(this is an alias; use the room id from the room's settings > Advanced)");
  for (const char* bad : {"!nocolon", "!a b:example.org", "AbC:example.org", "!abc:"}) {
    s["room_id"] = bad;
    EXPECT_EQ(refusal(s), P + "/room_id must be a room id such as !AbCdEf123:example.org, got '" + bad + "'");
  }
  s["room_id"] = "!AbC:matrix.example.org:8448";
  EXPECT_NO_THROW(create(s));
  s["room_id"] = "!AbC:[::1]:8448";
  EXPECT_NO_THROW(create(s));
  s["msgtype"] = "m.image";
  EXPECT_EQ(refusal(s), P + "/msgtype must be m.text or m.notice, got 'm.image'");
  s.erase("msgtype");
  s["txn_prefix"] = "x";
  EXPECT_EQ(refusal(s),
            P + "unknown property /txn_prefix (allowed: homeserver, access_token, room_id, msgtype, "
                "templates, timeout_ms)");
  EXPECT_TRUE(neverLogged("SECRET"));
}

} // namespace settings_test
} // namespace bambuddy::notifier_matrix::test
