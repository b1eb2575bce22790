// Parsing and checking of a provider's URL (webhook URL, ntfy server, SMTP server) with libcurl's
// own URL parser, so what is checked is exactly what curl will connect to.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bambuddy::common::net {

struct TargetUrl {
  std::string url;    // as curl normalized it
  std::string scheme; // "http", "https", "smtp", "smtps"
  std::string host;   // a name (lower-case) or an IP literal, without IPv6 brackets
  uint16_t port = 0;  // explicit or the scheme's default
  std::string path;   // "/" at least
  bool has_query = false;
  bool has_credentials = false; // user:password@ in the URL
};

// Throws std::invalid_argument with a precise message that never repeats the URL's path, query or
// credentials (they may hold tokens), e.g. "scheme 'ftp' is not allowed (use http or https)",
// "is not an absolute URL (expected e.g. https://example.com/hook)", "has no host".
TargetUrl parseTargetUrl(const std::string& url, const std::vector<std::string>& allowed_schemes);

// "host:port" for messages, with brackets around an IPv6 host.
std::string hostPort(const std::string& host, uint16_t port);

} // namespace bambuddy::common::net
