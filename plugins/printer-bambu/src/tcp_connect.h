// Cancellable TCP connections for the checks made before handing a connection to Paho.
//
// Paho cannot abandon a connection attempt in progress, so stop() would wait out its whole
// connect timeout for an unreachable printer. The worker therefore first makes a TCP connection
// and TLS handshake itself (polling a cancel flag), which also tells "refused" from "unreachable"
// from "timed out" from "TLS failed" where Paho only says "TCP/TLS connect failure".
#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace bambuddy::printer_bambu {

// An owned socket descriptor.
class Socket {
public:
  explicit Socket(int fd = -1) : fd_(fd) {}
  ~Socket();
  Socket(Socket&& other) noexcept : fd_(other.release()) {}
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

private:
  int fd_;
};

using Deadline = std::chrono::steady_clock::time_point;

// Waits until `fd` is ready for `events` (poll flags). False on timeout, cancellation or error,
// with `why` ("timed out", "cancelled", ...). `cancelled` is polled about every 50 ms.
bool waitReady(int fd, short events, Deadline deadline, const std::function<bool()>& cancelled,
               std::string& why);

// A connected non-blocking socket to the first address of host:port that accepts, or an invalid
// one with `error` naming host, port and cause. Name resolution itself is not cancellable.
Socket connectTcp(const std::string& host, int port, Deadline deadline,
                  const std::function<bool()>& cancelled, std::string& error);

} // namespace bambuddy::printer_bambu
