#include "poll_receivers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <stdexcept>

namespace bambuddy::bench {
namespace {

constexpr size_t kMaxRequestBytes = 1 << 20;

int64_t realtimeUs() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

void sendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      return; // the peer went away; the read side notices
    }
    sent += static_cast<size_t>(n);
  }
}

} // namespace

PollReceivers::PollReceivers(int count, std::function<void(const WebhookRequest&)> on_request)
    : on_request_(std::move(on_request)) {
  if (::pipe(wake_) != 0) {
    throw std::runtime_error("pipe failed");
  }
  for (int i = 0; i < count; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd, 512) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot listen on 127.0.0.1");
    }
    listeners_.push_back(fd);
    ports_.push_back(ntohs(address.sin_port));
  }
  thread_ = std::thread([this] { loop(); });
}

PollReceivers::~PollReceivers() {
  stop();
  for (int fd : listeners_) {
    ::close(fd);
  }
  ::close(wake_[0]);
  ::close(wake_[1]);
}

std::string PollReceivers::url(int receiver) const {
  return "http://127.0.0.1:" + std::to_string(ports_.at(static_cast<size_t>(receiver))) + "/hook";
}

void PollReceivers::stop() {
  if (thread_.joinable()) {
    const char byte = 1;
    (void)!::write(wake_[1], &byte, 1);
    thread_.join();
  }
}

bool PollReceivers::serve(Connection& c) {
  for (;;) {
    const size_t head_end = c.buffer.find("\r\n\r\n");
    if (head_end == std::string::npos) {
      return c.buffer.size() < kMaxRequestBytes;
    }
    size_t content_length = 0;
    bool has_length = false, expect_continue = false, close_after = false;
    WebhookRequest request;
    request.receiver = c.receiver;
    size_t at = c.buffer.find("\r\n") + 2; // past the request line
    while (at < head_end) {
      const size_t eol = c.buffer.find("\r\n", at);
      const std::string line = c.buffer.substr(at, eol - at);
      at = eol + 2;
      const size_t colon = line.find(':');
      if (colon == std::string::npos) {
        continue;
      }
      const std::string name = lower(line.substr(0, colon));
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      if (name == "content-length") {
        content_length = std::strtoull(value.c_str(), nullptr, 10);
        has_length = true;
      } else if (name == "transfer-encoding") {
        ++malformed_; // never sent by libcurl for these bodies
        return false;
      } else if (name == "expect") {
        expect_continue = lower(value) == "100-continue";
      } else if (name == "connection") {
        close_after = lower(value) == "close";
      } else if (name == "webhook-id") {
        request.webhook_id = value;
      }
    }
    if (!has_length || content_length > kMaxRequestBytes) {
      ++malformed_;
      return false;
    }
    const size_t total = head_end + 4 + content_length;
    if (c.buffer.size() < total) {
      if (expect_continue && !c.continued) {
        c.continued = true;
        sendAll(c.fd, "HTTP/1.1 100 Continue\r\n\r\n");
      }
      return true;
    }
    request.arrival_us = realtimeUs();
    request.body = c.buffer.substr(head_end + 4, content_length);
    c.buffer.erase(0, total);
    c.continued = false;
    on_request_(request);
    sendAll(c.fd, "HTTP/1.1 204 No Content\r\n\r\n");
    if (close_after) {
      return false;
    }
  }
}

void PollReceivers::loop() {
  std::vector<Connection> connections;
  std::vector<pollfd> fds;
  for (;;) {
    fds.clear();
    fds.push_back({wake_[0], POLLIN, 0});
    for (int fd : listeners_) {
      fds.push_back({fd, POLLIN, 0});
    }
    for (const Connection& c : connections) {
      fds.push_back({c.fd, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      continue; // EINTR
    }
    if (fds[0].revents != 0) {
      break;
    }
    // Connections first (their indexes match fds), then new ones.
    const size_t first_connection = 1 + listeners_.size();
    std::vector<Connection> kept;
    for (size_t i = 0; i < connections.size(); ++i) {
      Connection& c = connections[i];
      bool open = true;
      if (fds[first_connection + i].revents != 0) {
        char chunk[16384];
        const ssize_t n = ::recv(c.fd, chunk, sizeof chunk, 0);
        open = n > 0;
        if (open) {
          c.buffer.append(chunk, static_cast<size_t>(n));
          open = serve(c);
        }
      }
      if (open) {
        kept.push_back(std::move(c));
      } else {
        ::close(c.fd);
      }
    }
    connections = std::move(kept);
    for (size_t l = 0; l < listeners_.size(); ++l) {
      if (fds[1 + l].revents & POLLIN) {
        const int fd = ::accept4(listeners_[l], nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) {
          connections.push_back({fd, static_cast<int>(l), std::string(), false});
        }
      }
    }
  }
  for (const Connection& c : connections) {
    ::close(c.fd);
  }
}

} // namespace bambuddy::bench
