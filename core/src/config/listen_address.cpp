#include "config/listen_address.h"

namespace bambuddy::config {

bool parseListen(const std::string& text, std::string& host, uint16_t& port, std::string& error) {
  std::string host_part;
  std::string port_part;
  if (!text.empty() && text[0] == '[') {
    std::size_t close = text.find(']');
    if (close == std::string::npos) {
      error = "missing ']' after IPv6 address";
      return false;
    }
    host_part = text.substr(1, close - 1);
    if (close + 1 == text.size()) {
      error = "missing port";
      return false;
    }
    if (text[close + 1] != ':') {
      error = "expected ':' and a port after ']'";
      return false;
    }
    port_part = text.substr(close + 2);
    if (host_part.find(':') == std::string::npos && !host_part.empty()) {
      error = "brackets are only for IPv6 addresses";
      return false;
    }
  } else {
    std::size_t colon = text.rfind(':');
    if (colon == std::string::npos) {
      error = "missing port";
      return false;
    }
    host_part = text.substr(0, colon);
    port_part = text.substr(colon + 1);
    if (host_part.find(':') != std::string::npos) {
      error = "IPv6 addresses need brackets, e.g. [::1]:8080";
      return false;
    }
  }
  if (host_part.empty()) {
    error = "empty host";
    return false;
  }
  for (char c : host_part) {
    if (c <= ' ' || c == '/' || c == '[' || c == ']' || c == '@' || static_cast<unsigned char>(c) >= 0x7f) {
      error = "invalid character in host";
      return false;
    }
  }
  if (port_part.empty()) {
    error = "missing port";
    return false;
  }
  if (port_part.size() > 5 || port_part.find_first_not_of("0123456789") != std::string::npos) {
    error = "port must be a number from 0 to 65535";
    return false;
  }
  unsigned long value = std::stoul(port_part);
  if (value > 65535) {
    error = "port must be a number from 0 to 65535";
    return false;
  }
  host = host_part;
  port = static_cast<uint16_t>(value);
  error.clear();
  return true;
}

} // namespace bambuddy::config
