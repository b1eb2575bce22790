#include "net/target_url.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace bambuddy::common::net {
namespace target_url_test {

const std::vector<std::string> kWeb = {"http", "https"};

std::string error(const std::string& url, const std::vector<std::string>& schemes = kWeb) {
  try {
    parseTargetUrl(url, schemes);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(TargetUrl, ParsesHostPortAndDefaults) {
  TargetUrl a = parseTargetUrl("https://Hooks.Example.com/in/abc?x=1", kWeb);
  EXPECT_EQ(a.scheme, "https");
  EXPECT_EQ(a.host, "hooks.example.com");
  EXPECT_EQ(a.port, 443);
  EXPECT_EQ(a.path, "/in/abc");
  EXPECT_TRUE(a.has_query);
  EXPECT_FALSE(a.has_credentials);
  TargetUrl b = parseTargetUrl("http://[::1]:8123", kWeb);
  EXPECT_EQ(b.host, "::1");
  EXPECT_EQ(b.port, 8123);
  EXPECT_EQ(b.path, "/");
  TargetUrl c = parseTargetUrl("HTTP://u:p@10.0.0.5/x", kWeb);
  EXPECT_EQ(c.scheme, "http");
  EXPECT_EQ(c.port, 80);
  EXPECT_TRUE(c.has_credentials);
  EXPECT_EQ(parseTargetUrl("smtps://mail.example.com", {"smtp", "smtps"}).port, 465);
  EXPECT_EQ(parseTargetUrl("smtp://mail.example.com", {"smtp", "smtps"}).port, 25);
  EXPECT_EQ(hostPort("::1", 80), "[::1]:80");
  EXPECT_EQ(hostPort("a.b", 80), "a.b:80");
}

TEST(TargetUrl, RefusalsArePreciseAndNeverEchoThePath) {
  EXPECT_EQ(error(""), "is empty");
  EXPECT_EQ(error("ftp://example.com/secret-token"), "scheme 'ftp' is not allowed (use http or https)");
  EXPECT_EQ(error("file:///etc/passwd"), "scheme 'file' is not allowed (use http or https)");
  EXPECT_EQ(error("example.com/hook"), "is not an absolute URL (expected e.g. http://example.com/...)");
  EXPECT_EQ(error("http://exa mple.com/"), "contains a space or control character (percent-encode it)");
  EXPECT_EQ(error("http://example.com:0/"), "has no usable port (1..65535)");
  EXPECT_EQ(error("http://example.com/\r\nX: y"),
            "contains a space or control character (percent-encode it)");
  EXPECT_EQ(error("smtp://x", {"smtp", "smtps"}), "(accepted)");
  EXPECT_EQ(error("http://x", {"smtp", "smtps"}), "scheme 'http' is not allowed (use smtp or smtps)");
  EXPECT_EQ(error("https://" + std::string(5000, 'a') + ".com"), "is 5012 bytes long; the limit is 4096");
  std::string bad = error("http://[::1/x");
  EXPECT_EQ(bad.rfind("is not a valid URL (", 0), 0u) << bad;
}

} // namespace target_url_test
} // namespace bambuddy::common::net
