#include "support/sse_client.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>

namespace bambuddy::testing {

namespace {

using Clock = std::chrono::steady_clock;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

} // namespace

SseClient::~SseClient() {
  close();
}

void SseClient::close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

bool SseClient::open(const std::string& host, uint16_t port, const std::string& path,
                     const std::vector<std::pair<std::string, std::string>>& headers, int timeout_ms,
                     int receive_buffer_bytes) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || found == nullptr) {
    error_ = "cannot resolve " + host;
    return false;
  }
  fd_ = ::socket(found->ai_family, SOCK_STREAM, 0);
  if (fd_ >= 0 && receive_buffer_bytes > 0) {
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes, sizeof receive_buffer_bytes);
  }
  const bool connected = fd_ >= 0 && ::connect(fd_, found->ai_addr, found->ai_addrlen) == 0;
  ::freeaddrinfo(found);
  if (!connected) {
    error_ = std::string("connect: ") + std::strerror(errno);
    close();
    return false;
  }
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nAccept: text/event-stream\r\n";
  for (const auto& [name, value] : headers) {
    request += name + ": " + value + "\r\n";
  }
  request += "\r\n";
  if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    error_ = "send failed";
    return false;
  }
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  size_t head_end = std::string::npos;
  while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    if (left <= 0 || !readMore(left) || (eof_ && buffer_.find("\r\n\r\n") == std::string::npos)) {
      error_ = error_.empty() ? "no response head" : error_;
      return false;
    }
  }
  std::string head = buffer_.substr(0, head_end);
  buffer_.erase(0, head_end + 4);
  size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  size_t space = status_line.find(' ');
  status_ = space == std::string::npos ? 0 : std::atoi(status_line.c_str() + space + 1);
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t end = head.find("\r\n", pos);
    std::string line = head.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    pos = end == std::string::npos ? head.size() : end + 2;
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      headers_[lower(line.substr(0, colon))] = value;
    }
  }
  if (status_ != 200) {
    auto length = headers_.find("content-length");
    size_t want = length == headers_.end() ? std::string::npos : std::stoul(length->second);
    while (buffer_.size() < want && !eof_) {
      int left = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
      if (left <= 0 || !readMore(left)) {
        break;
      }
    }
    body_ = buffer_;
    buffer_.clear();
  }
  return true;
}

bool SseClient::readMore(int timeout_ms) {
  if (fd_ < 0 || eof_) {
    return false;
  }
  pollfd p{fd_, POLLIN, 0};
  int rc = ::poll(&p, 1, timeout_ms);
  if (rc <= 0) {
    return false;
  }
  char chunk[16384];
  ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n > 0) {
    buffer_.append(chunk, static_cast<size_t>(n));
    if (status_ == 200) {
      raw_.append(chunk, static_cast<size_t>(n));
    }
    return true;
  }
  if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
    eof_ = true;
  }
  return n < 0 && (errno == EINTR || errno == EAGAIN);
}

// One event from buffer_ if a whole one is there (lines up to a blank line), per the WHATWG rules:
// "field: value" (one leading space dropped), comments start with ':', data lines joined by '\n'.
std::optional<SseEvent> SseClient::parseOne() {
  while (true) {
    size_t end = buffer_.find("\n\n");
    if (end == std::string::npos) {
      return std::nullopt;
    }
    std::string block = buffer_.substr(0, end);
    buffer_.erase(0, end + 2);
    SseEvent event;
    bool has_data = false;
    size_t pos = 0;
    while (pos <= block.size()) {
      size_t line_end = block.find('\n', pos);
      std::string line =
          block.substr(pos, line_end == std::string::npos ? std::string::npos : line_end - pos);
      pos = line_end == std::string::npos ? block.size() + 1 : line_end + 1;
      if (line.empty()) {
        continue;
      }
      if (line[0] == ':') {
        ++comments_;
        continue;
      }
      size_t colon = line.find(':');
      std::string field = line.substr(0, colon);
      std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
      if (!value.empty() && value[0] == ' ') {
        value.erase(0, 1);
      }
      if (field == "data") {
        event.data += (has_data ? "\n" : "") + value;
        has_data = true;
      } else if (field == "event") {
        event.event = value;
      } else if (field == "id") {
        event.id = value;
      } else if (field == "retry") {
        retry_ms_ = std::atoll(value.c_str());
      }
    }
    if (has_data) {
      return event;
    }
  }
}

std::optional<SseEvent> SseClient::next(int timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    if (auto event = parseOne()) {
      return event;
    }
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    if (left <= 0 || eof_) {
      return std::nullopt;
    }
    readMore(left);
  }
}

std::optional<std::vector<SseEvent>> SseClient::until(const std::string& name, int timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::vector<SseEvent> out;
  while (true) {
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    std::optional<SseEvent> event = next(std::max(left, 0));
    if (!event) {
      return std::nullopt;
    }
    out.push_back(*event);
    if (event->event == name) {
      return out;
    }
  }
}

bool SseClient::ended(int timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!eof_) {
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    if (left <= 0) {
      return false;
    }
    readMore(left);
  }
  return true;
}

} // namespace bambuddy::testing
