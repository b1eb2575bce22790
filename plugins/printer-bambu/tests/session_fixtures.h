// What the MqttSession tests share: a printer on a loopback port, driver timings shrunk so that
// reconnects and timeouts happen within a test, and a stopwatch.
#pragma once

#include "driver_config.h"

#include <chrono>
#include <cstdint>

namespace bambuddy::printer_bambu::test {

using Clock = std::chrono::steady_clock;

inline int64_t msSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

inline DriverConfig fastDriverConfig(int64_t connect_timeout_ms, int64_t reconnect_min_ms,
                                     int64_t reconnect_max_ms) {
  DriverConfig c;
  c.reconnect_min_ms = reconnect_min_ms;
  c.reconnect_max_ms = reconnect_max_ms;
  c.stale_timeout_ms = 1000;
  c.connect_timeout_ms = connect_timeout_ms;
  c.keepalive_s = 5;
  c.command_timeout_ms = 500;
  return c;
}

inline PrinterSettings loopbackPrinter(int port) {
  PrinterSettings s;
  s.host = "127.0.0.1";
  s.port = port;
  s.serial = "01P00TEST000001";
  s.access_code = "Sekr1tCode";
  return s;
}

} // namespace bambuddy::printer_bambu::test
