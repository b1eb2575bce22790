// The open-file limit: one descriptor per printer connection, HTTP client and webhook in flight.
//
// Debian starts services and shells with a soft limit of 1024 and a much higher hard limit, which
// would cap a farm at roughly a thousand printers with "Too many open files". Like mosquitto and
// Redis, the server raises its soft limit to the hard one at start (no privilege needed).
#pragma once

#include <cstdint>
#include <string>

namespace bambuddy::app {

struct FdLimit {
  uint64_t before = 0; // soft limit found
  uint64_t after = 0;  // soft limit now
  std::string error;   // when raising failed (the limit stays `before`)
};

// Raises RLIMIT_NOFILE's soft limit to its hard limit (at most 1,048,576). Never throws.
FdLimit raiseOpenFileLimit();

} // namespace bambuddy::app
