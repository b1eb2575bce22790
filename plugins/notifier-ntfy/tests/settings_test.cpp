// Bad settings are refused at creation with a message naming the field.
#include "ntfy_test_util.h"

namespace bambuddy::notifier_ntfy::test {
namespace settings_test {

const std::string P = "notifier.ntfy settings: ";

TEST_F(NtfyTest, TopicAndServer) {
  EXPECT_EQ(refusal(json::object()), P + "/topic is required");
  EXPECT_EQ(refusal({{"topic", 1}}), P + "/topic must be a string, got number");
  EXPECT_EQ(refusal({{"topic", "a/b"}}), P + "/topic must be 1 to 64 letters, digits, '-' or '_'");
  EXPECT_EQ(refusal({{"topic", std::string(65, 'a')}}),
            P + "/topic must be 1 to 64 letters, digits, '-' or '_'");
  EXPECT_EQ(refusal({{"topic", "t"}, {"server", "ftp://ntfy.example"}}),
            P + "/server scheme 'ftp' is not allowed (use http or https)");
  EXPECT_EQ(refusal({{"topic", "t"}, {"server", "ntfy.example"}}),
            P + "/server is not an absolute URL (expected e.g. http://example.com/...)");
  EXPECT_EQ(refusal({{"topic", "t"}, {"server", "https://ntfy.example/?x=1"}}),
            P + "/server must not have a query or fragment (the topic is appended as a path segment)");
  EXPECT_EQ(refusal({{"topic", "t"}, {"colour", "red"}}),
            P + "unknown property /colour (allowed: server, topic, token, priority, tags, click, templates, "
                "timeout_ms)");
  EXPECT_NO_THROW(create({{"topic", "t"}})); // https://ntfy.sh by default
  EXPECT_TRUE(host_.logged("publishing to an ntfy topic on https://ntfy.sh:443"));
}

TEST_F(NtfyTest, TokenIsCheckedAndNeverEchoed) {
  json s = local();
  s["token"] = "tk_with space";
  std::string m = refusal(s);
  EXPECT_EQ(
      m,
      P + "/token must be 1 to 512 printable ASCII characters without spaces (an ntfy access token, tk_...)");
  EXPECT_EQ(m.find("with space"), std::string::npos);
  s["token"] = 42;
  EXPECT_EQ(refusal(s), P + "/token must be a string, got number");
}

TEST_F(NtfyTest, PriorityTagsClickAndTemplates) {
  json s = local();
  s["priority"] = {{"print_failed", 6}};
  EXPECT_EQ(refusal(s), P + "/priority/print_failed must be an integer from 1 (min) to 5 (max), got 6");
  s["priority"] = {{"Print Failed", 5}};
  EXPECT_EQ(refusal(s),
            P + "/priority/Print Failed: not an event name (lower-case letters, digits and '_', or \"*\")");
  s["priority"] = json::array({5});
  EXPECT_EQ(refusal(s), P + "/priority must be an object of event names to 1..5, got array");
  s.erase("priority");

  s["tags"] = {{"print_complete", {"ok,done"}}};
  EXPECT_EQ(refusal(s),
            P + "/tags/print_complete/0 must be 1 to 64 bytes of UTF-8 without commas or control characters");
  s["tags"] = {{"print_complete", "tada"}};
  EXPECT_EQ(refusal(s), P + "/tags/print_complete must be an array of tags, got string");
  s.erase("tags");

  s["click"] = "javascript:alert(1)";
  EXPECT_EQ(refusal(s), P + "/click must be an http:// or https:// URL");
  s["click"] = "http://bambuddy.local/archives/{{archive_id";
  EXPECT_EQ(refusal(s), P + "/click: unclosed '{{' at offset 31");
  s.erase("click");

  s["templates"] = {{"print_complete", {{"body", "x"}}}};
  EXPECT_EQ(refusal(s), P + "/templates/print_complete: unknown field 'body' (allowed: title, message)");
  s["templates"] = {{"print_complete", {{"title", "Done {{file name}}"}}}};
  EXPECT_EQ(refusal(s),
            P + "/templates/print_complete/title: placeholder 'file name' at offset 5: a name may only "
                "contain letters, digits, '_' and '.'");
  s["templates"] = {{"*", {{"message", 5}}}};
  EXPECT_EQ(refusal(s), P + "/templates/*/message must be a string, got number");
  s["templates"] = {{"*", {{"message", "{{event}}"}}}};
  EXPECT_NO_THROW(create(s));

  s["timeout_ms"] = 50;
  EXPECT_EQ(refusal(s), P + "/timeout_ms must be an integer from 100 to 120000, got 50");
}

TEST_F(NtfyTest, ConfigErrors) {
  EXPECT_EQ(
      refusal(local(), {{"deny_cidrs", {"300.0.0.0/8"}}}, "invalid_config"),
      "notifier.ntfy config: /deny_cidrs/0: '300.0.0.0/8' is not a valid CIDR ('300.0.0.0' is not an IPv4 or "
      "IPv6 address)");
}

} // namespace settings_test
} // namespace bambuddy::notifier_ntfy::test
