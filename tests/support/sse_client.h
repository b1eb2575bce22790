// A Server-Sent Events client for tests: opens GET `path` on a raw socket, reads the response
// head, then hands out events as a browser's EventSource would parse them (WHATWG HTML). Comments
// are counted, not returned. Never throws; transport problems show in error().
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bambuddy::testing {

struct SseEvent {
  std::optional<std::string> id; // set when the event carried an id field
  std::string event = "message";
  std::string data;
};

class SseClient {
public:
  SseClient() = default;
  ~SseClient();
  SseClient(const SseClient&) = delete;
  SseClient& operator=(const SseClient&) = delete;

  // Connects and sends the request; returns once the head is read (true for any status). A
  // non-200 answer's body is in body(). `receive_buffer_bytes` > 0 sets SO_RCVBUF before
  // connecting (a client that reads slowly).
  bool open(const std::string& host, uint16_t port, const std::string& path,
            const std::vector<std::pair<std::string, std::string>>& headers = {}, int timeout_ms = 5000,
            int receive_buffer_bytes = 0);

  int status() const { return status_; }
  // Lower-case names.
  const std::map<std::string, std::string>& headers() const { return headers_; }
  // The body of a non-200 answer (read to the end of the connection or its Content-Length).
  const std::string& body() const { return body_; }

  // The next event, or nullopt when none arrived within timeout_ms or the stream ended.
  std::optional<SseEvent> next(int timeout_ms = 5000);
  // Events until one named `name` (included), at most timeout_ms in all; nullopt if it never came.
  std::optional<std::vector<SseEvent>> until(const std::string& name, int timeout_ms = 10000);
  // True once the server has ended the stream (end of file seen, or seen within timeout_ms).
  bool ended(int timeout_ms = 0);
  // Every byte received after the head, as received.
  const std::string& raw() const { return raw_; }
  size_t comments() const { return comments_; }
  std::optional<int64_t> retryMs() const { return retry_ms_; }
  const std::string& error() const { return error_; }
  // Closes the socket at once (a client that goes away).
  void close();

private:
  bool readMore(int timeout_ms);
  std::optional<SseEvent> parseOne();

  int fd_ = -1;
  int status_ = 0;
  std::map<std::string, std::string> headers_;
  std::string body_;
  std::string buffer_; // received, not parsed yet
  std::string raw_;
  bool eof_ = false;
  size_t comments_ = 0;
  std::optional<int64_t> retry_ms_;
  std::string error_;
};

} // namespace bambuddy::testing
