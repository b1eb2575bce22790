// Shutdown signals handled synchronously: SIGTERM and SIGINT are blocked in every thread (the
// mask is inherited, so construct this before any thread starts) and collected with sigwait().
#pragma once

#include <csignal>

namespace bambuddy::app {

class ShutdownSignals {
public:
  ShutdownSignals(); // blocks SIGTERM and SIGINT for this thread and the threads it creates
  int wait();        // returns the signal number received
private:
  sigset_t set_;
};

} // namespace bambuddy::app
