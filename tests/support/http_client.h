// A small blocking HTTP/1.1 client over a raw socket, for tests that drive a real server.
// One request per connection ("Connection: close"). Never throws: transport problems come back
// as status 0 with `error` set, so a test can print them (EXPECT_EQ(r.status, 200) << r.error).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace bambuddy::testing {

struct HttpResult {
  int status = 0; // 0 = no response (see error)
  // Lower-case names; a repeated header's values are joined with ", ".
  std::map<std::string, std::string> headers;
  std::string body;
  std::string error; // empty on success
};

// `host` is an IP literal or name ("127.0.0.1", "::1", "localhost"). Sends Host, Connection:
// close and, when there is a body or the method usually has one, Content-Length; entries in
// `headers` with the same names replace those. Reads the response by Content-Length, chunked
// encoding, or until the server closes; skips 1xx interim responses. `timeout_ms` bounds the
// whole exchange.
HttpResult httpRequest(const std::string& host, uint16_t port, const std::string& method,
                       const std::string& path, const std::string& body = "",
                       const std::vector<std::pair<std::string, std::string>>& headers = {},
                       int timeout_ms = 5000);

// Sends `raw` bytes exactly as given (for malformed or hand-built requests) and reads one
// response the same way. `head_request` = true when the response to read answers a HEAD.
HttpResult httpRawRequest(const std::string& host, uint16_t port, const std::string& raw,
                          int timeout_ms = 5000, bool head_request = false);

// A persistent connection for tests of keep-alive behaviour: several requests in sequence on
// one socket (no pipelining). Same never-throw convention as httpRequest().
class HttpConnection {
public:
  HttpConnection() = default;
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Returns false with error() set when the connection cannot be made.
  bool connect(const std::string& host, uint16_t port, int timeout_ms = 5000);
  // Like httpRequest() but sends no Connection header (persistent by default in HTTP/1.1).
  HttpResult request(const std::string& method, const std::string& path, const std::string& body = "",
                     const std::vector<std::pair<std::string, std::string>>& headers = {},
                     int timeout_ms = 5000);
  // Low-level steps: send bytes as given, then read one response. With `stop_at_interim` a 1xx
  // response is returned instead of skipped.
  bool sendRaw(const std::string& raw, int timeout_ms = 5000);
  HttpResult readResponse(int timeout_ms = 5000, bool head_request = false, bool stop_at_interim = false);
  // True when the server has closed (or half-closed) the connection: a read sees end of stream
  // within timeout_ms with no bytes pending.
  bool closedByServer(int timeout_ms = 5000);
  const std::string& error() const { return error_; }

private:
  int fd_ = -1;
  std::string host_;
  uint16_t port_ = 0;
  std::string pending_; // bytes read past the previous response
  std::string error_;
};

} // namespace bambuddy::testing
