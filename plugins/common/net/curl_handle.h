// Small RAII owners for libcurl objects, and the pin that keeps a transfer on the addresses the
// SSRF guard checked. One easy handle per attempt: send() runs on several threads at once and a
// handle must never be shared between them.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <string>
#include <vector>

namespace bambuddy::common::net {

// curl_global_init/cleanup are reference counted by libcurl: each notifier instance holds one, made
// and dropped on the host's main thread (constructor, destructor), never while a transfer runs.
class CurlGlobal {
public:
  CurlGlobal();
  ~CurlGlobal();
  CurlGlobal(const CurlGlobal&) = delete;
  CurlGlobal& operator=(const CurlGlobal&) = delete;
};

class CurlSlist {
public:
  CurlSlist() = default;
  ~CurlSlist();
  CurlSlist(const CurlSlist&) = delete;
  CurlSlist& operator=(const CurlSlist&) = delete;
  void append(const std::string& line);
  curl_slist* get() const { return list_; }

private:
  curl_slist* list_ = nullptr;
};

class CurlEasy {
public:
  CurlEasy(); // throws std::runtime_error when curl cannot make a handle
  ~CurlEasy();
  CurlEasy(const CurlEasy&) = delete;
  CurlEasy& operator=(const CurlEasy&) = delete;

  CURL* get() const { return handle_; }
  // curl's detailed message for the last failed transfer, else its generic text for `code`.
  std::string errorText(CURLcode code) const;

private:
  CURL* handle_ = nullptr;
  char error_buffer_[CURL_ERROR_SIZE] = {};
};

// Options every guarded transfer gets: no proxy from the environment (the proxy would be what we
// connect to, unchecked), no redirects, no signals (send() runs on host threads), only the given
// protocols.
void applySafeDefaults(CURL* handle, const char* protocols);

// Keeps a transfer on `addresses` for host:port: a CURLOPT_RESOLVE entry replaces curl's own DNS
// lookup (so a DNS answer that changes after the check cannot redirect it), and an open-socket
// callback refuses any other address curl might still try. Must outlive the transfer.
class ConnectionPin {
public:
  ConnectionPin(std::string host, uint16_t port, std::vector<std::string> addresses);
  ConnectionPin(const ConnectionPin&) = delete;
  ConnectionPin& operator=(const ConnectionPin&) = delete;

  void apply(CURL* handle);
  // Set when curl tried to connect somewhere else (the transfer then fails to connect).
  const std::string& strayAddress() const { return stray_; }

private:
  static curl_socket_t openSocket(void* self, curlsocktype purpose, curl_sockaddr* address);

  std::string host_;
  uint16_t port_;
  std::vector<std::string> addresses_;
  CurlSlist resolve_;
  std::string stray_;
};

} // namespace bambuddy::common::net
