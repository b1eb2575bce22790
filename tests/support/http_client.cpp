#include "support/http_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace bambuddy::testing {

namespace {

using Clock = std::chrono::steady_clock;

class Socket {
public:
  Socket() = default;
  ~Socket() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  void reset(int fd) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = fd;
  }
  int fd() const { return fd_; }

private:
  int fd_ = -1;
};

int remainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

// Waits for `events` on fd; false with `error` set on timeout or poll failure.
bool waitFor(int fd, short events, Clock::time_point deadline, const char* what, std::string& error) {
  while (true) {
    pollfd pfd{fd, events, 0};
    int rc = ::poll(&pfd, 1, remainingMs(deadline));
    if (rc > 0) {
      return true;
    }
    if (rc == 0) {
      error = std::string("timeout while ") + what;
      return false;
    }
    if (errno != EINTR) {
      error = std::string("poll failed while ") + what + ": " + std::strerror(errno);
      return false;
    }
  }
}

bool connectTo(const std::string& host, uint16_t port, Clock::time_point deadline, Socket& socket,
               std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
  if (rc != 0) {
    error = "cannot resolve " + host + ": " + gai_strerror(rc);
    return false;
  }
  error = "no address for " + host;
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      error = std::string("socket: ") + std::strerror(errno);
      continue;
    }
    socket.reset(fd);
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      error.clear();
      break;
    }
    if (errno != EINPROGRESS) {
      error = std::string("connect: ") + std::strerror(errno);
      continue;
    }
    if (!waitFor(fd, POLLOUT, deadline, "connecting", error)) {
      continue;
    }
    int so_error = 0;
    socklen_t len = sizeof(so_error);
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (so_error != 0) {
      error = std::string("connect: ") + std::strerror(so_error);
      continue;
    }
    error.clear();
    break;
  }
  ::freeaddrinfo(found);
  return error.empty();
}

bool sendAll(int fd, const std::string& data, Clock::time_point deadline, std::string& error) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!waitFor(fd, POLLOUT, deadline, "sending the request", error)) {
        return false;
      }
      continue;
    }
    error = std::string("send: ") + std::strerror(errno);
    return false;
  }
  return true;
}

// Buffered reads with one deadline for the whole response.
class Reader {
public:
  // `buffer` holds bytes already received; consumed bytes are removed when the Reader goes away,
  // so a persistent connection keeps what belongs to the next response.
  Reader(int fd, Clock::time_point deadline, std::string& buffer)
      : fd_(fd), deadline_(deadline), buffer_(buffer) {}
  ~Reader() { buffer_.erase(0, pos_); }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // Waits for more bytes; false on timeout or error. Sets eof() when the peer closed.
  bool more(std::string& error) { return fill(error); }
  size_t pending() const { return buffer_.size() - pos_; }

  bool eof() const { return eof_ && pos_ >= buffer_.size(); }

  bool readLine(std::string& line, std::string& error) {
    while (true) {
      size_t end = buffer_.find("\r\n", pos_);
      if (end != std::string::npos) {
        line = buffer_.substr(pos_, end - pos_);
        pos_ = end + 2;
        return true;
      }
      if (eof_) {
        error = "connection closed in the middle of a line";
        return false;
      }
      if (!fill(error)) {
        return false;
      }
    }
  }

  bool readExact(size_t count, std::string& out, std::string& error) {
    while (buffer_.size() - pos_ < count) {
      if (eof_) {
        error = "connection closed after " + std::to_string(buffer_.size() - pos_) + " of " +
                std::to_string(count) + " body bytes";
        return false;
      }
      if (!fill(error)) {
        return false;
      }
    }
    out.append(buffer_, pos_, count);
    pos_ += count;
    return true;
  }

  bool readToEof(std::string& out, std::string& error) {
    while (!eof_) {
      if (!fill(error)) {
        return false;
      }
    }
    out.append(buffer_, pos_, std::string::npos);
    pos_ = buffer_.size();
    return true;
  }

private:
  bool fill(std::string& error) {
    if (!waitFor(fd_, POLLIN, deadline_, "reading the response", error)) {
      return false;
    }
    char chunk[16384];
    while (true) {
      ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n > 0) {
        buffer_.append(chunk, static_cast<size_t>(n));
        return true;
      }
      if (n == 0) {
        eof_ = true;
        return true;
      }
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return true; // spurious wake-up; the caller loops
      }
      error = std::string("recv: ") + std::strerror(errno);
      return false;
    }
  }

  int fd_;
  Clock::time_point deadline_;
  std::string& buffer_;
  size_t pos_ = 0;
  bool eof_ = false;
};

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) {
    return "";
  }
  size_t end = text.find_last_not_of(" \t");
  return text.substr(begin, end - begin + 1);
}

bool readChunked(Reader& reader, std::string& body, std::string& error) {
  while (true) {
    std::string size_line;
    if (!reader.readLine(size_line, error)) {
      return false;
    }
    size_t size = 0;
    try {
      size = std::stoul(size_line.substr(0, size_line.find(';')), nullptr, 16);
    } catch (const std::exception&) {
      error = "bad chunk size line \"" + size_line + "\"";
      return false;
    }
    if (size == 0) {
      std::string trailer;
      do { // trailers up to the blank line
        if (!reader.readLine(trailer, error)) {
          return false;
        }
      } while (!trailer.empty());
      return true;
    }
    std::string crlf;
    if (!reader.readExact(size, body, error) || !reader.readExact(2, crlf, error)) {
      return false;
    }
  }
}

HttpResult readResponse(Reader& reader, bool head_request, bool stop_at_interim = false) {
  HttpResult result;
  while (true) {
    std::string status_line;
    if (!reader.readLine(status_line, result.error)) {
      if (reader.eof()) {
        result.error = "connection closed before a response";
      }
      return result;
    }
    // "HTTP/1.1 200 OK"
    size_t sp = status_line.find(' ');
    if (status_line.compare(0, 5, "HTTP/") != 0 || sp == std::string::npos) {
      result.error = "bad status line \"" + status_line + "\"";
      return result;
    }
    int status = std::atoi(status_line.c_str() + sp + 1);
    result.headers.clear();
    while (true) {
      std::string line;
      if (!reader.readLine(line, result.error)) {
        return result;
      }
      if (line.empty()) {
        break;
      }
      size_t colon = line.find(':');
      if (colon == std::string::npos) {
        result.error = "bad header line \"" + line + "\"";
        return result;
      }
      std::string name = lower(line.substr(0, colon));
      std::string value = trim(line.substr(colon + 1));
      auto [it, inserted] = result.headers.emplace(name, value);
      if (!inserted) {
        it->second += ", " + value;
      }
    }
    if (status >= 100 && status < 200 && status != 101) {
      if (stop_at_interim) {
        result.status = status;
        return result;
      }
      continue; // interim response such as 100 Continue
    }
    result.status = status;
    break;
  }

  bool no_body = head_request || result.status == 204 || result.status == 304;
  auto te = result.headers.find("transfer-encoding");
  auto cl = result.headers.find("content-length");
  std::string error;
  bool ok = true;
  if (no_body) {
    ok = true;
  } else if (te != result.headers.end() && lower(te->second).find("chunked") != std::string::npos) {
    ok = readChunked(reader, result.body, error);
  } else if (cl != result.headers.end()) {
    size_t length = 0;
    try {
      length = std::stoul(cl->second);
    } catch (const std::exception&) {
      error = "bad Content-Length \"" + cl->second + "\"";
      ok = false;
    }
    ok = ok && reader.readExact(length, result.body, error);
  } else {
    ok = reader.readToEof(result.body, error);
  }
  if (!ok) {
    result.error = error;
    result.status = 0;
  }
  return result;
}

bool hasHeader(const std::vector<std::pair<std::string, std::string>>& headers, const std::string& name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&name](const auto& header) { return lower(header.first) == lower(name); });
}

HttpResult exchange(const std::string& host, uint16_t port, const std::string& raw, int timeout_ms,
                    bool head_request) {
  HttpResult result;
  Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  Socket socket;
  if (!connectTo(host, port, deadline, socket, result.error)) {
    return result;
  }
  std::string buffer;
  if (!sendAll(socket.fd(), raw, deadline, result.error)) {
    // A server may answer early (413) and stop reading; its response is still worth having.
    Reader reader(socket.fd(), deadline, buffer);
    HttpResult early = readResponse(reader, head_request);
    if (early.status != 0) {
      return early;
    }
    return result;
  }
  Reader reader(socket.fd(), deadline, buffer);
  return readResponse(reader, head_request);
}

std::string buildRequest(const std::string& host, uint16_t port, const std::string& method,
                         const std::string& path, const std::string& body,
                         const std::vector<std::pair<std::string, std::string>>& headers, bool close) {
  bool ipv6 = host.find(':') != std::string::npos;
  std::string raw = method + " " + path + " HTTP/1.1\r\n";
  if (!hasHeader(headers, "Host")) {
    raw += "Host: " + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + "\r\n";
  }
  if (close && !hasHeader(headers, "Connection")) {
    raw += "Connection: close\r\n";
  }
  bool usually_has_body = method == "POST" || method == "PUT" || method == "PATCH";
  if (!hasHeader(headers, "Content-Length") && !hasHeader(headers, "Transfer-Encoding") &&
      (usually_has_body || !body.empty())) {
    raw += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  for (const auto& [name, value] : headers) {
    raw += name + ": " + value + "\r\n";
  }
  raw += "\r\n";
  raw += body;
  return raw;
}

} // namespace

HttpResult httpRequest(const std::string& host, uint16_t port, const std::string& method,
                       const std::string& path, const std::string& body,
                       const std::vector<std::pair<std::string, std::string>>& headers, int timeout_ms) {
  return exchange(host, port, buildRequest(host, port, method, path, body, headers, true), timeout_ms,
                  method == "HEAD");
}

HttpResult httpRawRequest(const std::string& host, uint16_t port, const std::string& raw, int timeout_ms,
                          bool head_request) {
  return exchange(host, port, raw, timeout_ms, head_request);
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

bool HttpConnection::connect(const std::string& host, uint16_t port, int timeout_ms) {
  Socket socket;
  error_.clear();
  if (!connectTo(host, port, Clock::now() + std::chrono::milliseconds(timeout_ms), socket, error_)) {
    return false;
  }
  if (fd_ >= 0) {
    ::close(fd_);
  }
  fd_ = ::dup(socket.fd()); // Socket closes its own copy
  host_ = host;
  port_ = port;
  pending_.clear();
  return fd_ >= 0;
}

bool HttpConnection::sendRaw(const std::string& raw, int timeout_ms) {
  error_.clear();
  if (fd_ < 0) {
    error_ = "not connected";
    return false;
  }
  return sendAll(fd_, raw, Clock::now() + std::chrono::milliseconds(timeout_ms), error_);
}

HttpResult HttpConnection::readResponse(int timeout_ms, bool head_request, bool stop_at_interim) {
  if (fd_ < 0) {
    HttpResult result;
    result.error = "not connected";
    return result;
  }
  Reader reader(fd_, Clock::now() + std::chrono::milliseconds(timeout_ms), pending_);
  return bambuddy::testing::readResponse(reader, head_request, stop_at_interim);
}

HttpResult HttpConnection::request(const std::string& method, const std::string& path,
                                   const std::string& body,
                                   const std::vector<std::pair<std::string, std::string>>& headers,
                                   int timeout_ms) {
  if (!sendRaw(buildRequest(host_, port_, method, path, body, headers, false), timeout_ms)) {
    HttpResult result;
    result.error = error_;
    return result;
  }
  return readResponse(timeout_ms, method == "HEAD");
}

bool HttpConnection::closedByServer(int timeout_ms) {
  if (fd_ < 0) {
    return true;
  }
  Reader reader(fd_, Clock::now() + std::chrono::milliseconds(timeout_ms), pending_);
  std::string error;
  while (reader.pending() == 0) {
    if (!reader.more(error)) {
      return false; // timeout: still open
    }
    if (reader.eof()) {
      return true;
    }
  }
  return false; // unexpected bytes arrived
}

} // namespace bambuddy::testing
