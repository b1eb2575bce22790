// Webhook receivers for the soak benchmark: P listening sockets on 127.0.0.1 served by one poll()
// thread that stamps each request's arrival (CLOCK_REALTIME, when its body is complete) and answers
// 204. Written here instead of using tests/support/http_receiver.h because that one keeps a thread
// per connection until stop(), and notifier.webhook opens a connection per delivery: a soak's
// tens of thousands of deliveries run into the process limit (pid_max). Requests with
// Content-Length only (what libcurl sends for these bodies); anything else closes the connection.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace bambuddy::bench {

struct WebhookRequest {
  int receiver = 0;
  int64_t arrival_us = 0;
  std::string webhook_id; // the webhook-id header
  std::string body;
};

class PollReceivers {
public:
  // `on_request` runs on the receivers' thread, before the answer is sent.
  PollReceivers(int count, std::function<void(const WebhookRequest&)> on_request);
  ~PollReceivers(); // stop()
  PollReceivers(const PollReceivers&) = delete;
  PollReceivers& operator=(const PollReceivers&) = delete;

  std::string url(int receiver) const; // http://127.0.0.1:<port>/hook
  uint64_t malformed() const { return malformed_; }
  void stop();

private:
  struct Connection {
    int fd = -1;
    int receiver = 0;
    std::string buffer;
    bool continued = false; // 100 Continue sent for the request in the buffer
  };
  void loop();
  // Handles every complete request in the buffer; false when the connection must close.
  bool serve(Connection& c);

  std::function<void(const WebhookRequest&)> on_request_;
  std::vector<int> listeners_;
  std::vector<uint16_t> ports_;
  int wake_[2] = {-1, -1};
  std::atomic<uint64_t> malformed_{0};
  std::thread thread_;
};

} // namespace bambuddy::bench
