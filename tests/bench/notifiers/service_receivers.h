// Stand-ins for the services the notifier plugins talk to (webhook receiver, ntfy, Discord, Slack,
// Telegram, Gotify, Pushover, Bark, Home Assistant, Matrix): one listening socket on 127.0.0.1 per
// service, all served by one poll() thread that stamps each request when its body is complete
// (CLOCK_REALTIME, the clock the server's journal uses) and answers what that service answers on
// success. Not tests/support/http_receiver.h: that one keeps a thread per connection until stop(),
// and the plugins open a connection per delivery, so a run's tens of thousands of deliveries would
// exhaust threads and memory maps. Bodies with Content-Length only (what libcurl sends here);
// anything else closes the connection and counts as malformed.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace bambuddy::bench {

struct ServiceRequest {
  std::string method;
  std::string target;                                       // path and query as sent
  std::vector<std::pair<std::string, std::string>> headers; // lower-case names, values trimmed
  std::string body;
  int64_t arrival_us = 0; // CLOCK_REALTIME when the body was complete

  std::string header(const std::string& lower_name) const;
};

struct ServiceReply {
  int status = 200;
  std::string content_type; // "" for a reply without a body
  std::string body;
};

// What one service stand-in answers: `n` counts its requests from 1.
using ServiceAnswer = std::function<ServiceReply(const ServiceRequest& request, uint64_t n)>;
// The notification's event id when the request carries it ("" when it does not).
using EventIdOf = std::function<std::string(const ServiceRequest& request)>;

struct ServiceArrival {
  int64_t arrival_us = 0;
  std::string event_id; // "" when the service's requests do not carry it
};

class ServiceReceivers {
public:
  ServiceReceivers() = default;
  ~ServiceReceivers(); // stop()
  ServiceReceivers(const ServiceReceivers&) = delete;
  ServiceReceivers& operator=(const ServiceReceivers&) = delete;

  // Listens for one more service before start(); returns its index.
  size_t add(ServiceAnswer answer, EventIdOf event_id = nullptr);
  void start();
  void stop();

  uint16_t port(size_t service) const { return services_.at(service)->port; }
  std::string origin(size_t service) const; // http://127.0.0.1:<port>
  uint64_t requests(size_t service) const;
  uint64_t malformed() const { return malformed_.load(); }
  // Every request service `service` got, in arrival order. Call after stop().
  const std::vector<ServiceArrival>& arrivals(size_t service) const {
    return services_.at(service)->arrivals;
  }

private:
  struct Service {
    int listen_fd = -1;
    uint16_t port = 0;
    ServiceAnswer answer;
    EventIdOf event_id;
    std::atomic<uint64_t> count{0};
    std::vector<ServiceArrival> arrivals; // the poll thread's until stop()
  };
  struct Connection {
    int fd = -1;
    size_t service = 0;
    std::string buffer;
    bool continued = false; // "100 Continue" sent for the request being read
  };
  void loop();
  // Answers every complete request in the buffer; false when the connection must close.
  bool serve(Connection& c);

  std::vector<std::unique_ptr<Service>> services_;
  int wake_[2] = {-1, -1};
  std::atomic<uint64_t> malformed_{0};
  std::thread thread_;
};

} // namespace bambuddy::bench
