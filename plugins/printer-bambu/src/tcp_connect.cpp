#include "tcp_connect.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace bambuddy::printer_bambu {
namespace {

constexpr int64_t kPollSliceMs = 50;

struct AddrInfoFree {
  void operator()(addrinfo* ai) const { freeaddrinfo(ai); }
};

} // namespace

Socket::~Socket() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = other.release();
  }
  return *this;
}

bool waitReady(int fd, short events, Deadline deadline, const std::function<bool()>& cancelled,
               std::string& why) {
  while (true) {
    if (cancelled && cancelled()) {
      why = "cancelled";
      return false;
    }
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
            .count();
    if (left <= 0) {
      why = "timed out";
      return false;
    }
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, kPollSliceMs)));
    if (rc > 0) {
      return true;
    }
    if (rc < 0 && errno != EINTR) {
      why = std::string("poll failed: ") + std::strerror(errno);
      return false;
    }
  }
}

Socket connectTcp(const std::string& host, int port, Deadline deadline,
                  const std::function<bool()>& cancelled, std::string& error) {
  const std::string where = host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rc != 0) {
    error = "cannot resolve " + host + ": " + gai_strerror(rc);
    return Socket();
  }
  std::unique_ptr<addrinfo, AddrInfoFree> list(found);
  error = "no address for " + host;
  for (addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
    Socket s(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (!s.valid()) {
      error = std::string("cannot create a socket: ") + std::strerror(errno);
      continue;
    }
    if (::connect(s.get(), ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
      error = "TCP connection to " + where + " failed: " + std::strerror(errno);
      continue;
    }
    std::string why;
    if (!waitReady(s.get(), POLLOUT, deadline, cancelled, why)) {
      error = "TCP connection to " + where + " " + why;
      return Socket();
    }
    int so_error = 0;
    socklen_t len = sizeof so_error;
    if (::getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) {
      so_error = errno;
    }
    if (so_error != 0) {
      error = "TCP connection to " + where + " failed: " + std::strerror(so_error);
      continue;
    }
    error.clear();
    return s;
  }
  return Socket();
}

} // namespace bambuddy::printer_bambu
