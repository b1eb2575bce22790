// A loopback TCP port that was free a moment ago, for test servers that need the number in their
// config before they start. Another process may take it before the server binds it: callers
// retry with a new one when the server reports the address in use.
#pragma once

#include <cstdint>

namespace bambuddy::testing {

// Binds 127.0.0.1:0, reads the port the kernel chose, closes. Throws std::runtime_error.
uint16_t pickFreeLoopbackPort();

} // namespace bambuddy::testing
