#include "net/curl_handle.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <new>
#include <stdexcept>

namespace bambuddy::common::net {

CurlGlobal::CurlGlobal() {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    throw std::runtime_error("libcurl initialisation failed");
  }
}

CurlGlobal::~CurlGlobal() {
  curl_global_cleanup();
}

CurlSlist::~CurlSlist() {
  curl_slist_free_all(list_);
}

void CurlSlist::append(const std::string& line) {
  curl_slist* next = curl_slist_append(list_, line.c_str());
  if (next == nullptr) {
    throw std::bad_alloc();
  }
  list_ = next;
}

CurlEasy::CurlEasy() : handle_(curl_easy_init()) {
  if (handle_ == nullptr) {
    throw std::runtime_error("libcurl could not create a transfer handle");
  }
  curl_easy_setopt(handle_, CURLOPT_ERRORBUFFER, error_buffer_);
}

CurlEasy::~CurlEasy() {
  curl_easy_cleanup(handle_);
}

std::string CurlEasy::errorText(CURLcode code) const {
  return error_buffer_[0] != '\0' ? std::string(error_buffer_) : std::string(curl_easy_strerror(code));
}

void applySafeDefaults(CURL* handle, const char* protocols) {
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, protocols);
  curl_easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(handle, CURLOPT_PROXY, "");
  curl_easy_setopt(handle, CURLOPT_NETRC, static_cast<long>(CURL_NETRC_IGNORED));
}

ConnectionPin::ConnectionPin(std::string host, uint16_t port, std::vector<std::string> addresses)
    : host_(std::move(host)), port_(port), addresses_(std::move(addresses)) {}

void ConnectionPin::apply(CURL* handle) {
  unsigned char probe[sizeof(in6_addr)];
  bool literal =
      ::inet_pton(AF_INET, host_.c_str(), probe) == 1 || ::inet_pton(AF_INET6, host_.c_str(), probe) == 1;
  if (!literal) {
    // "host:port:addr1,addr2" with IPv6 addresses in brackets.
    std::string entry = host_ + ":" + std::to_string(port_) + ":";
    for (size_t i = 0; i < addresses_.size(); ++i) {
      bool v6 = addresses_[i].find(':') != std::string::npos;
      entry += (i == 0 ? "" : ",") + (v6 ? "[" + addresses_[i] + "]" : addresses_[i]);
    }
    resolve_.append(entry);
    curl_easy_setopt(handle, CURLOPT_RESOLVE, resolve_.get());
  }
  curl_easy_setopt(handle, CURLOPT_OPENSOCKETFUNCTION, &ConnectionPin::openSocket);
  curl_easy_setopt(handle, CURLOPT_OPENSOCKETDATA, this);
}

curl_socket_t ConnectionPin::openSocket(void* self, curlsocktype purpose, curl_sockaddr* address) {
  auto* pin = static_cast<ConnectionPin*>(self);
  char text[INET6_ADDRSTRLEN] = {};
  if (purpose != CURLSOCKTYPE_IPCXN) {
    return CURL_SOCKET_BAD;
  }
  if (address->family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&address->addr)->sin_addr, text, sizeof text);
  } else if (address->family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&address->addr)->sin6_addr, text, sizeof text);
  }
  std::string ip = text;
  if (ip.empty() || std::find(pin->addresses_.begin(), pin->addresses_.end(), ip) == pin->addresses_.end()) {
    pin->stray_ = ip.empty() ? "an unknown address" : ip;
    return CURL_SOCKET_BAD;
  }
  return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

} // namespace bambuddy::common::net
