// The soak benchmark's API load: wrk against GET /api/v1/printers/{id}/status with an API key,
// cycling over the printers, each connection pausing between requests (a steady load beside the
// printers, not a saturation test: closed-loop wrk would take every core from the server's other
// work). wrk --latency measures each request from send to answer, pauses excluded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bambuddy::bench {

struct WrkOptions {
  uint16_t port = 0;
  std::string api_key;
  std::vector<int64_t> printer_ids;
  int connections = 8;
  int pause_ms = 20; // per connection, between answer and next request
  int duration_s = 60;
  std::string work_dir; // where the Lua script is written
};

struct WrkResult {
  bool ran = false;
  std::string note; // why not, or wrk's complaint
  uint64_t requests = 0;
  double requests_per_s = 0;
  double p50_ms = -1, p75_ms = -1, p90_ms = -1, p99_ms = -1;
  uint64_t non_2xx = 0;
  std::string socket_errors; // wrk's "Socket errors" line, when there is one
  std::string command;       // what ran, for the report
};

// wrk from $PATH (scripts/setup installs it), or nullopt.
std::optional<std::string> findWrk();

// Runs wrk to the end (blocking) and parses its --latency output.
WrkResult runWrk(const WrkOptions& options);

} // namespace bambuddy::bench
