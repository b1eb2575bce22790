#include "auth/address_bucket.h"

#include <arpa/inet.h>

#include <cstring>

namespace bambuddy::auth {

std::string addressBucket(const std::string& ip) {
  unsigned char bytes[16] = {};
  if (ip.empty() || ip.size() >= INET6_ADDRSTRLEN || inet_pton(AF_INET, ip.c_str(), bytes) == 1) {
    return ip;
  }
  if (inet_pton(AF_INET6, ip.c_str(), bytes) != 1) {
    return ip;
  }
  char text[INET6_ADDRSTRLEN] = {};
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  if (std::memcmp(bytes, kMapped, sizeof kMapped) == 0) {
    inet_ntop(AF_INET, bytes + 12, text, sizeof text);
    return text;
  }
  std::memset(bytes + 8, 0, 8);
  inet_ntop(AF_INET6, bytes, text, sizeof text);
  return std::string(text) + "/64";
}

} // namespace bambuddy::auth
