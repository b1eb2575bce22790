#include "net/target_url.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace bambuddy::common::net {
namespace {

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
struct CurlStringDeleter {
  void operator()(char* p) const { curl_free(p); }
};
using CurlString = std::unique_ptr<char, CurlStringDeleter>;

// One component of a parsed URL; nullopt-like empty string when absent.
std::string part(CURLU* url, CURLUPart which, unsigned flags = 0) {
  char* raw = nullptr;
  if (curl_url_get(url, which, &raw, flags) != CURLUE_OK || raw == nullptr) {
    return "";
  }
  CurlString owned(raw);
  return owned.get();
}

std::string joinSchemes(const std::vector<std::string>& schemes) {
  std::string out;
  for (size_t i = 0; i < schemes.size(); ++i) {
    out += i == 0 ? "" : (i + 1 == schemes.size() ? " or " : ", ");
    out += schemes[i];
  }
  return out;
}

} // namespace

std::string hostPort(const std::string& host, uint16_t port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

TargetUrl parseTargetUrl(const std::string& url, const std::vector<std::string>& allowed_schemes) {
  if (url.empty()) {
    throw std::invalid_argument("is empty");
  }
  if (url.size() > 4096) {
    throw std::invalid_argument("is " + std::to_string(url.size()) + " bytes long; the limit is 4096");
  }
  for (char c : url) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) {
      throw std::invalid_argument("contains a space or control character (percent-encode it)");
    }
  }
  std::unique_ptr<CURLU, UrlDeleter> parsed(curl_url());
  if (!parsed) {
    throw std::runtime_error("out of memory");
  }
  // NON_SUPPORT_SCHEME lets us name an unwanted scheme ourselves instead of curl's generic error.
  CURLUcode rc = curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), CURLU_NON_SUPPORT_SCHEME);
  if (rc != CURLUE_OK) {
    if (url.find("://") == std::string::npos) {
      throw std::invalid_argument("is not an absolute URL (expected e.g. " + allowed_schemes.front() +
                                  "://example.com/...)");
    }
    throw std::invalid_argument(std::string("is not a valid URL (") + curl_url_strerror(rc) + ")");
  }
  TargetUrl out;
  out.scheme = part(parsed.get(), CURLUPART_SCHEME);
  std::transform(out.scheme.begin(), out.scheme.end(), out.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (std::find(allowed_schemes.begin(), allowed_schemes.end(), out.scheme) == allowed_schemes.end()) {
    throw std::invalid_argument("scheme '" + out.scheme + "' is not allowed (use " +
                                joinSchemes(allowed_schemes) + ")");
  }
  out.host = part(parsed.get(), CURLUPART_HOST);
  if (out.host.empty()) {
    throw std::invalid_argument("has no host");
  }
  // DNS names are case-insensitive; one spelling keeps the pin entry and messages consistent.
  std::transform(out.host.begin(), out.host.end(), out.host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  if (!part(parsed.get(), CURLUPART_ZONEID).empty()) {
    throw std::invalid_argument("has an IPv6 zone id, which is not supported");
  }
  std::string port = part(parsed.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  long port_number = port.empty() ? 0 : std::strtol(port.c_str(), nullptr, 10);
  if (port_number <= 0 || port_number > 65535) {
    throw std::invalid_argument("has no usable port (1..65535)");
  }
  out.port = static_cast<uint16_t>(port_number);
  out.path = part(parsed.get(), CURLUPART_PATH);
  if (out.path.empty()) {
    out.path = "/";
  }
  out.has_query = !part(parsed.get(), CURLUPART_QUERY).empty();
  out.has_credentials =
      !part(parsed.get(), CURLUPART_USER).empty() || !part(parsed.get(), CURLUPART_PASSWORD).empty();
  out.url = part(parsed.get(), CURLUPART_URL);
  return out;
}

} // namespace bambuddy::common::net
