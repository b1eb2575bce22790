#include "support/http_receiver.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace bambuddy::testing {
namespace {

constexpr size_t kMaxHeadBytes = 64 * 1024;

int64_t steadyMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

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

const char* reasonPhrase(int status) {
  switch (status) {
  case 200:
    return "OK";
  case 201:
    return "Created";
  case 202:
    return "Accepted";
  case 204:
    return "No Content";
  case 301:
    return "Moved Permanently";
  case 302:
    return "Found";
  case 307:
    return "Temporary Redirect";
  case 308:
    return "Permanent Redirect";
  case 400:
    return "Bad Request";
  case 401:
    return "Unauthorized";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 408:
    return "Request Timeout";
  case 410:
    return "Gone";
  case 413:
    return "Content Too Large";
  case 429:
    return "Too Many Requests";
  case 431:
    return "Request Header Fields Too Large";
  case 500:
    return "Internal Server Error";
  case 502:
    return "Bad Gateway";
  case 503:
    return "Service Unavailable";
  case 504:
    return "Gateway Timeout";
  default:
    return "Status";
  }
}

bool sendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    sent += static_cast<size_t>(n);
  }
  return true;
}

// Appends what the peer sent next; false at end of stream, on error or after shutdown.
bool readMore(int fd, std::string& buffer) {
  char chunk[16384];
  while (true) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    buffer.append(chunk, static_cast<size_t>(n));
    return true;
  }
}

// Makes sure `buffer` holds at least `count` bytes.
bool readAtLeast(int fd, std::string& buffer, size_t count) {
  while (buffer.size() < count) {
    if (!readMore(fd, buffer)) {
      return false;
    }
  }
  return true;
}

// Reads one CRLF-terminated line from the front of `buffer` (reading more as needed).
bool takeLine(int fd, std::string& buffer, std::string& line) {
  size_t end;
  while ((end = buffer.find("\r\n")) == std::string::npos) {
    if (buffer.size() > kMaxHeadBytes || !readMore(fd, buffer)) {
      return false;
    }
  }
  line = buffer.substr(0, end);
  buffer.erase(0, end + 2);
  return true;
}

bool readChunkedBody(int fd, std::string& buffer, std::string& body) {
  while (true) {
    std::string size_line;
    if (!takeLine(fd, buffer, size_line)) {
      return false;
    }
    size_t size = 0;
    try {
      size = std::stoul(size_line.substr(0, size_line.find(';')), nullptr, 16);
    } catch (const std::exception&) {
      return false;
    }
    if (size == 0) {
      // Trailer fields until the empty line.
      std::string trailer;
      do {
        if (!takeLine(fd, buffer, trailer)) {
          return false;
        }
      } while (!trailer.empty());
      return true;
    }
    if (!readAtLeast(fd, buffer, size + 2)) {
      return false;
    }
    body.append(buffer, 0, size);
    buffer.erase(0, size + 2);
  }
}

} // namespace

std::string ReceivedRequest::header(const std::string& name) const {
  std::string key = lower(name);
  for (const auto& [k, v] : headers) {
    if (k == key) {
      return v;
    }
  }
  return "";
}

bool ReceivedRequest::hasHeader(const std::string& name) const {
  return headerCount(name) > 0;
}

size_t ReceivedRequest::headerCount(const std::string& name) const {
  std::string key = lower(name);
  return static_cast<size_t>(
      std::count_if(headers.begin(), headers.end(), [&](const auto& h) { return h.first == key; }));
}

std::optional<std::vector<MultipartPart>> ReceivedRequest::multipart() const {
  std::string type = header("content-type");
  if (lower(type).rfind("multipart/", 0) != 0) {
    return std::nullopt;
  }
  std::optional<std::string> boundary = headerParameter(type, "boundary");
  if (!boundary || boundary->empty()) {
    return std::nullopt;
  }
  return parseMultipart(body, *boundary);
}

std::string MultipartPart::header(const std::string& name) const {
  std::string key = lower(name);
  for (const auto& [k, v] : headers) {
    if (k == key) {
      return v;
    }
  }
  return "";
}

std::optional<std::string> headerParameter(const std::string& value, const std::string& parameter) {
  const std::string wanted = lower(parameter);
  size_t pos = value.find(';');
  while (pos != std::string::npos && pos < value.size()) {
    ++pos; // past ';'
    size_t eq = value.find('=', pos);
    if (eq == std::string::npos) {
      return std::nullopt;
    }
    std::string key = lower(trim(value.substr(pos, eq - pos)));
    size_t v = eq + 1;
    while (v < value.size() && (value[v] == ' ' || value[v] == '\t')) {
      ++v;
    }
    std::string text;
    size_t next;
    if (v < value.size() && value[v] == '"') {
      // A quoted string: backslash escapes the next character.
      size_t i = v + 1;
      while (i < value.size() && value[i] != '"') {
        if (value[i] == '\\' && i + 1 < value.size()) {
          ++i;
        }
        text += value[i++];
      }
      next = value.find(';', i);
    } else {
      next = value.find(';', v);
      text = trim(value.substr(v, next == std::string::npos ? std::string::npos : next - v));
    }
    if (key == wanted) {
      return text;
    }
    pos = next;
  }
  return std::nullopt;
}

std::optional<std::vector<MultipartPart>> parseMultipart(const std::string& body,
                                                         const std::string& boundary) {
  const std::string delimiter = "--" + boundary;
  // The first delimiter opens the body or follows a CRLF (after an ignored preamble).
  size_t pos = body.rfind(delimiter, 0) == 0 ? 0 : body.find("\r\n" + delimiter);
  if (pos == std::string::npos) {
    return std::nullopt;
  }
  pos += body.compare(pos, 2, "\r\n") == 0 && pos != 0 ? 2 : 0;
  std::vector<MultipartPart> parts;
  while (true) {
    pos += delimiter.size();
    if (body.compare(pos, 2, "--") == 0) {
      return parts; // the close delimiter; anything after it is an epilogue
    }
    if (body.compare(pos, 2, "\r\n") != 0) {
      return std::nullopt;
    }
    pos += 2;
    size_t head_end = body.compare(pos, 2, "\r\n") == 0 ? pos : body.find("\r\n\r\n", pos);
    if (head_end == std::string::npos) {
      return std::nullopt;
    }
    MultipartPart part;
    size_t line = pos;
    while (line < head_end) {
      size_t end = body.find("\r\n", line);
      std::string text = body.substr(line, end - line);
      size_t colon = text.find(':');
      if (colon != std::string::npos) {
        part.headers.emplace_back(lower(trim(text.substr(0, colon))), trim(text.substr(colon + 1)));
      }
      line = end + 2;
    }
    size_t content = head_end == pos ? pos + 2 : head_end + 4;
    size_t next = body.find("\r\n" + delimiter, content);
    if (next == std::string::npos) {
      return std::nullopt;
    }
    part.body = body.substr(content, next - content);
    part.content_type = part.header("content-type");
    std::string disposition = part.header("content-disposition");
    part.name = headerParameter(disposition, "name").value_or("");
    std::optional<std::string> filename = headerParameter(disposition, "filename");
    part.has_filename = filename.has_value();
    part.filename = filename.value_or("");
    parts.push_back(std::move(part));
    pos = next + 2;
  }
}

HttpReceiver::HttpReceiver(const std::string& bind_address) : address_(bind_address) {
  bool v6 = bind_address.find(':') != std::string::npos;
  listen_fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) {
    throw std::runtime_error("HttpReceiver: socket() failed: " + std::string(std::strerror(errno)));
  }
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&storage);
    a->sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, bind_address.c_str(), &a->sin6_addr) != 1) {
      ::close(listen_fd_);
      throw std::runtime_error("HttpReceiver: bad address " + bind_address);
    }
    length = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&storage);
    a->sin_family = AF_INET;
    if (inet_pton(AF_INET, bind_address.c_str(), &a->sin_addr) != 1) {
      ::close(listen_fd_);
      throw std::runtime_error("HttpReceiver: bad address " + bind_address);
    }
    length = sizeof *a;
  }
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
      ::listen(listen_fd_, 128) != 0) {
    std::string why = std::strerror(errno);
    ::close(listen_fd_);
    throw std::runtime_error("HttpReceiver: cannot listen on " + bind_address + ": " + why);
  }
  length = sizeof storage;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&storage), &length);
  port_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                   : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
  if (::pipe2(wake_pipe_, O_CLOEXEC) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("HttpReceiver: pipe2() failed");
  }
  acceptor_ = std::thread([this] { acceptLoop(); });
}

HttpReceiver::~HttpReceiver() {
  stop();
}

std::string HttpReceiver::url(const std::string& path) const {
  bool v6 = address_.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + address_ + "]" : address_) + ":" + std::to_string(port_) + path;
}

void HttpReceiver::enqueue(ScriptedResponse response) {
  std::lock_guard<std::mutex> lock(mutex_);
  queue_.push_back(std::move(response));
}

void HttpReceiver::setDefault(ScriptedResponse response) {
  std::lock_guard<std::mutex> lock(mutex_);
  default_ = std::move(response);
}

void HttpReceiver::setHandler(std::function<ScriptedResponse(const ReceivedRequest&)> handler) {
  std::lock_guard<std::mutex> lock(mutex_);
  handler_ = std::move(handler);
}

std::vector<ReceivedRequest> HttpReceiver::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

size_t HttpReceiver::requestCount() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_.size();
}

bool HttpReceiver::waitForRequests(size_t count, int64_t timeout_ms) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                           [&] { return requests_.size() >= count; });
}

void HttpReceiver::clearRequests() {
  std::lock_guard<std::mutex> lock(mutex_);
  requests_.clear();
}

size_t HttpReceiver::connectionCount() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return connections_;
}

void HttpReceiver::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && !acceptor_.joinable()) {
      return;
    }
    stopping_ = true;
    for (int fd : open_fds_) {
      ::shutdown(fd, SHUT_RDWR); // unblocks a recv() in its connection thread
    }
  }
  changed_.notify_all();
  if (wake_pipe_[1] >= 0) {
    char byte = 0;
    ssize_t ignored = ::write(wake_pipe_[1], &byte, 1);
    (void)ignored;
  }
  if (acceptor_.joinable()) {
    acceptor_.join();
  }
  // No new connection threads can start now.
  for (std::thread& t : threads_) {
    if (t.joinable()) {
      t.join();
    }
  }
  threads_.clear();
  for (int* fd : {&listen_fd_, &wake_pipe_[0], &wake_pipe_[1]}) {
    if (*fd >= 0) {
      ::close(*fd);
      *fd = -1;
    }
  }
}

void HttpReceiver::acceptLoop() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 || (fds[1].revents & POLLIN) != 0) {
      return;
    }
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    open_fds_.insert(fd);
    uint64_t id = ++connections_;
    threads_.emplace_back([this, fd, id] { serveConnection(fd, id); });
  }
}

bool HttpReceiver::pause(int ms) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stopping_; });
  return !stopping_;
}

ScriptedResponse HttpReceiver::nextResponse(const ReceivedRequest& request) {
  std::function<ScriptedResponse(const ReceivedRequest&)> handler;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!handler_) {
      if (queue_.empty()) {
        return default_;
      }
      ScriptedResponse next = std::move(queue_.front());
      queue_.pop_front();
      return next;
    }
    handler = handler_;
  }
  return handler(request);
}

void HttpReceiver::serveConnection(int fd, uint64_t id) {
  std::string buffer;
  while (true) {
    // Request head.
    size_t head_end;
    while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (buffer.size() > kMaxHeadBytes || !readMore(fd, buffer)) {
        head_end = std::string::npos;
        break;
      }
    }
    if (head_end == std::string::npos) {
      if (buffer.size() > kMaxHeadBytes) {
        sendAll(
            fd,
            "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      }
      break;
    }
    std::string head = buffer.substr(0, head_end);
    buffer.erase(0, head_end + 4);

    ReceivedRequest request;
    request.connection = id;
    size_t line_end = head.find("\r\n");
    std::string request_line = head.substr(0, line_end);
    size_t sp1 = request_line.find(' ');
    size_t sp2 = request_line.rfind(' ');
    if (sp1 == std::string::npos || sp2 == sp1) {
      sendAll(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      break;
    }
    request.method = request_line.substr(0, sp1);
    request.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
    request.version = request_line.substr(sp2 + 1);
    request.path = request.target.substr(0, request.target.find('?'));
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t end = head.find("\r\n", pos);
      if (end == std::string::npos) {
        end = head.size();
      }
      std::string line = head.substr(pos, end - pos);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        request.headers.emplace_back(lower(trim(line.substr(0, colon))), trim(line.substr(colon + 1)));
      }
      pos = end + 2;
    }

    if (lower(request.header("expect")) == "100-continue") {
      sendAll(fd, "HTTP/1.1 100 Continue\r\n\r\n");
    }
    if (lower(request.header("transfer-encoding")).find("chunked") != std::string::npos) {
      if (!readChunkedBody(fd, buffer, request.body)) {
        break;
      }
    } else if (request.hasHeader("content-length")) {
      size_t length = 0;
      try {
        length = std::stoul(request.header("content-length"));
      } catch (const std::exception&) {
        sendAll(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        break;
      }
      if (!readAtLeast(fd, buffer, length)) {
        break;
      }
      request.body = buffer.substr(0, length);
      buffer.erase(0, length);
    }
    request.received_at_ms = steadyMs();
    bool close_after = lower(request.header("connection")) == "close" || request.version == "HTTP/1.0";
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back(request);
    }
    changed_.notify_all();

    ScriptedResponse response = nextResponse(request);
    if (response.delay_ms > 0 && !pause(response.delay_ms)) {
      break;
    }
    if (response.drop) {
      break;
    }
    std::string out =
        "HTTP/1.1 " + std::to_string(response.status) + " " + reasonPhrase(response.status) + "\r\n";
    for (const auto& [name, value] : response.headers) {
      out += name + ": " + value + "\r\n";
    }
    // 1xx, 204 and 304 answers have no content (RFC 9110 6.4.1), so no length either.
    bool bodyless = response.status < 200 || response.status == 204 || response.status == 304;
    if (!bodyless) {
      out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
    }
    if (close_after) {
      out += "Connection: close\r\n";
    }
    out += "\r\n";
    if (request.method != "HEAD" && !bodyless) {
      out += response.body;
    }
    if (!sendAll(fd, out) || close_after) {
      break;
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  open_fds_.erase(fd);
  ::close(fd);
}

} // namespace bambuddy::testing
