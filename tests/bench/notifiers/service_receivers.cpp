#include "service_receivers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace bambuddy::bench {
namespace {

// The largest request head plus body accepted; the plugins' bodies are a few KiB.
constexpr size_t kMaxRequestBytes = 4 << 20;

int64_t realtimeUs() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
}

std::string lowerCase(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

std::string trimmed(const std::string& text) {
  const size_t first = text.find_first_not_of(" \t");
  if (first == std::string::npos) {
    return "";
  }
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

const char* reasonOf(int status) {
  switch (status) {
  case 100:
    return "Continue";
  case 200:
    return "OK";
  case 201:
    return "Created";
  case 204:
    return "No Content";
  default:
    return "Status";
  }
}

// Small answers on a local socket: a blocking loop is enough (the socket is non-blocking, so a
// full send buffer is retried, which never happens for a few hundred bytes).
void sendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      continue;
    }
    if (n <= 0) {
      return; // the peer went away; the read side notices
    }
    sent += static_cast<size_t>(n);
  }
}

} // namespace

std::string ServiceRequest::header(const std::string& lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) {
      return value;
    }
  }
  return "";
}

ServiceReceivers::~ServiceReceivers() {
  stop();
  for (const auto& s : services_) {
    ::close(s->listen_fd);
  }
  for (int fd : wake_) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
}

size_t ServiceReceivers::add(ServiceAnswer answer, EventIdOf event_id) {
  auto s = std::make_unique<Service>();
  s->listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (s->listen_fd < 0 || ::bind(s->listen_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(s->listen_fd, 512) != 0 ||
      ::getsockname(s->listen_fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("cannot listen on 127.0.0.1");
  }
  s->port = ntohs(address.sin_port);
  s->answer = std::move(answer);
  s->event_id = std::move(event_id);
  services_.push_back(std::move(s));
  return services_.size() - 1;
}

void ServiceReceivers::start() {
  if (::pipe2(wake_, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe2 failed");
  }
  thread_ = std::thread([this] { loop(); });
}

void ServiceReceivers::stop() {
  if (thread_.joinable()) {
    const char byte = 1;
    ssize_t ignored = ::write(wake_[1], &byte, 1);
    (void)ignored;
    thread_.join();
  }
}

std::string ServiceReceivers::origin(size_t service) const {
  return "http://127.0.0.1:" + std::to_string(port(service));
}

uint64_t ServiceReceivers::requests(size_t service) const {
  return services_.at(service)->count.load();
}

void ServiceReceivers::loop() {
  std::vector<Connection> connections;
  std::vector<pollfd> fds;
  char chunk[65536];
  while (true) {
    fds.clear();
    fds.push_back({wake_[0], POLLIN, 0});
    for (const auto& s : services_) {
      fds.push_back({s->listen_fd, POLLIN, 0});
    }
    for (const Connection& c : connections) {
      fds.push_back({c.fd, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    if (fds[0].revents != 0) {
      break;
    }
    // Connections first (their pollfds follow the listeners'), then new ones appended.
    const size_t first_connection = 1 + services_.size();
    std::vector<Connection> kept;
    kept.reserve(connections.size());
    for (size_t i = 0; i < connections.size(); ++i) {
      Connection& c = connections[i];
      bool open = true;
      if (fds[first_connection + i].revents != 0) {
        const ssize_t n = ::recv(c.fd, chunk, sizeof chunk, 0);
        if (n > 0) {
          c.buffer.append(chunk, static_cast<size_t>(n));
          open = serve(c);
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
          open = false;
        }
      }
      if (open) {
        kept.push_back(std::move(c));
      } else {
        ::close(c.fd);
      }
    }
    connections = std::move(kept);
    for (size_t s = 0; s < services_.size(); ++s) {
      if (fds[1 + s].revents == 0) {
        continue;
      }
      while (true) {
        const int fd = ::accept4(services_[s]->listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
          break;
        }
        Connection c;
        c.fd = fd;
        c.service = s;
        connections.push_back(std::move(c));
      }
    }
  }
  for (const Connection& c : connections) {
    ::close(c.fd);
  }
}

bool ServiceReceivers::serve(Connection& c) {
  Service& service = *services_[c.service];
  while (true) {
    const size_t head_end = c.buffer.find("\r\n\r\n");
    if (head_end == std::string::npos) {
      return c.buffer.size() <= kMaxRequestBytes;
    }
    ServiceRequest request;
    const size_t line_end = c.buffer.find("\r\n");
    const std::string line = c.buffer.substr(0, line_end);
    const size_t sp1 = line.find(' ');
    const size_t sp2 = line.rfind(' ');
    if (sp1 == std::string::npos || sp2 == sp1) {
      ++malformed_;
      return false;
    }
    request.method = line.substr(0, sp1);
    request.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    size_t content_length = 0;
    bool chunked = false;
    for (size_t pos = line_end + 2; pos < head_end;) {
      size_t end = c.buffer.find("\r\n", pos);
      end = end == std::string::npos || end > head_end ? head_end : end;
      const std::string field = c.buffer.substr(pos, end - pos);
      pos = end + 2;
      const size_t colon = field.find(':');
      if (colon == std::string::npos) {
        continue;
      }
      std::string name = lowerCase(trimmed(field.substr(0, colon)));
      std::string value = trimmed(field.substr(colon + 1));
      if (name == "content-length") {
        content_length = static_cast<size_t>(std::strtoull(value.c_str(), nullptr, 10));
      } else if (name == "transfer-encoding") {
        chunked = true;
      }
      request.headers.emplace_back(std::move(name), std::move(value));
    }
    if (chunked || head_end + 4 + content_length > kMaxRequestBytes) {
      ++malformed_;
      return false;
    }
    if (c.buffer.size() < head_end + 4 + content_length) {
      if (!c.continued && lowerCase(request.header("expect")) == "100-continue") {
        sendAll(c.fd, "HTTP/1.1 100 Continue\r\n\r\n");
        c.continued = true;
      }
      return true; // the rest of the body is still coming
    }
    request.body = c.buffer.substr(head_end + 4, content_length);
    c.buffer.erase(0, head_end + 4 + content_length);
    c.continued = false;
    request.arrival_us = realtimeUs();
    const uint64_t n = ++service.count;
    service.arrivals.push_back({request.arrival_us, service.event_id ? service.event_id(request) : ""});
    const ServiceReply reply = service.answer(request, n);
    std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " " + reasonOf(reply.status) + "\r\n";
    if (reply.status != 204) {
      if (!reply.content_type.empty()) {
        out += "Content-Type: " + reply.content_type + "\r\n";
      }
      out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n\r\n" + reply.body;
    } else {
      out += "\r\n";
    }
    sendAll(c.fd, out);
    if (lowerCase(request.header("connection")) == "close") {
      return false;
    }
  }
}

} // namespace bambuddy::bench
