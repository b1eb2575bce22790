// How many threads this process runs, and a bounded wait until it runs only one: the simulator's
// way to end only after the threads of the libraries it uses (Paho's) have ended too.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bambusim {

// The "Threads:" count of /proc/self/status; 0 when it cannot be read.
size_t processThreadCount();

// Waits until the calling thread is the process's only thread, at most `timeout_ms`. False on
// timeout (or when the count cannot be read).
bool waitUntilSoleThread(int64_t timeout_ms);

} // namespace bambusim
