// A real HTTP/1.1 receiver for tests of outgoing HTTP (webhooks, ntfy, the core's notification
// delivery): it listens on a loopback address with port 0, records every request it receives and
// answers each one from a script (a queue of responses, a default, or a handler function), so a
// test can make it answer 200, 500 with Retry-After, 410, a 302 redirect, a slow response or a
// dropped connection. Plain sockets, one thread per connection, keep-alive and chunked request
// bodies supported. Thread-safe; stop() (or the destructor) interrupts slow answers at once.
//
//   HttpReceiver rx;                                   // 127.0.0.1, ephemeral port
//   rx.enqueue({503, {{"Retry-After", "7"}}, "busy"}); // first request; later ones get the default
//   ... send to rx.url("/hook") ...
//   ASSERT_TRUE(rx.waitForRequests(1, 5000));
//   EXPECT_EQ(rx.requests()[0].header("content-type"), "application/json");
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace bambuddy::testing {

// One part of a multipart body (RFC 2046, RFC 7578): multipart/form-data uploads, MIME mail.
struct MultipartPart {
  std::vector<std::pair<std::string, std::string>> headers; // lower-case names, in order, values trimmed
  std::string name;     // Content-Disposition's name parameter, "" when none
  std::string filename; // Content-Disposition's filename parameter, "" when none
  bool has_filename = false;
  std::string content_type; // "" when the part has no Content-Type
  std::string body;         // the part's bytes as sent (no transfer decoding)

  // The first value of header `name` (any case), "" when absent.
  std::string header(const std::string& name) const;
};

// The parts of `body` delimited by `boundary`; nullopt when the body is not well-formed (no
// delimiter, a part without the blank line after its head, no closing delimiter).
std::optional<std::vector<MultipartPart>> parseMultipart(const std::string& body,
                                                         const std::string& boundary);

// A parameter of a header value such as Content-Type or Content-Disposition ("boundary",
// "name", "filename"), quotes removed; nullopt when absent.
std::optional<std::string> headerParameter(const std::string& value, const std::string& parameter);

struct ReceivedRequest {
  std::string method;
  std::string target; // as sent: path plus query string
  std::string path;   // target without the query string
  std::string version;
  std::vector<std::pair<std::string, std::string>> headers; // lower-case names, in order, values trimmed
  std::string body;                                         // de-chunked
  int64_t received_at_ms = 0;                               // steady clock, when the body was complete
  uint64_t connection = 0;                                  // 1, 2, ... per accepted connection

  // The first value of header `name` (any case), "" when absent.
  std::string header(const std::string& name) const;
  bool hasHeader(const std::string& name) const;
  size_t headerCount(const std::string& name) const;
  // The parts of a multipart/* body (its boundary from Content-Type); nullopt when the request is
  // not multipart or its body is not well-formed.
  std::optional<std::vector<MultipartPart>> multipart() const;
};

struct ScriptedResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers; // sent as given (Content-Length is added)
  std::string body;                                         // not sent with 1xx, 204 or 304
  int delay_ms = 0;  // wait this long before answering (a slow receiver)
  bool drop = false; // close the connection without answering
};

class HttpReceiver {
public:
  // Listens on `bind_address` ("127.0.0.1" or "::1") with an ephemeral port. Throws on failure.
  explicit HttpReceiver(const std::string& bind_address = "127.0.0.1");
  ~HttpReceiver();
  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;

  uint16_t port() const { return port_; }
  const std::string& address() const { return address_; }
  // "http://127.0.0.1:PORT" + path (IPv6 addresses in brackets).
  std::string url(const std::string& path = "/") const;

  // Responses are used in order, one per request; when the queue is empty the default answers.
  void enqueue(ScriptedResponse response);
  void setDefault(ScriptedResponse response);
  // When set, the handler decides every answer (the queue and default are ignored). It runs on a
  // connection thread.
  void setHandler(std::function<ScriptedResponse(const ReceivedRequest&)> handler);

  std::vector<ReceivedRequest> requests() const;
  size_t requestCount() const;
  // Waits until at least `count` requests were received; false on timeout.
  bool waitForRequests(size_t count, int64_t timeout_ms) const;
  void clearRequests();
  size_t connectionCount() const;

  // Stops accepting, interrupts delays, closes every connection and joins the threads. Idempotent.
  void stop();

private:
  void acceptLoop();
  void serveConnection(int fd, uint64_t id);
  ScriptedResponse nextResponse(const ReceivedRequest& request);
  // Waits up to `ms` or until stop(); false when stopped.
  bool pause(int ms);

  std::string address_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  bool stopping_ = false;
  std::vector<ReceivedRequest> requests_;
  std::deque<ScriptedResponse> queue_;
  ScriptedResponse default_;
  std::function<ScriptedResponse(const ReceivedRequest&)> handler_;
  std::set<int> open_fds_;
  uint64_t connections_ = 0;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

} // namespace bambuddy::testing
