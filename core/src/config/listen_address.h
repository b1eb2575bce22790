// "host:port" parsing for server.listen and BAMBUDDY_LISTEN.
#pragma once

#include <cstdint>
#include <string>

namespace bambuddy::config {

// Accepts "127.0.0.1:8080", "localhost:80", "[::1]:0" (IPv6 needs brackets; the brackets are
// not part of `host`). Port 0 means "pick a free port". On failure returns false and sets
// `error` to a short reason ("missing port", "port must be 0-65535", "empty host", ...).
bool parseListen(const std::string& text, std::string& host, uint16_t& port, std::string& error);

} // namespace bambuddy::config
