#include "app/signals.h"

#include <pthread.h>

namespace bambuddy::app {

ShutdownSignals::ShutdownSignals() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  // A client hanging up mid-response must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
}

int ShutdownSignals::wait() {
  int signal_number = 0;
  while (sigwait(&set_, &signal_number) != 0) {
  }
  return signal_number;
}

} // namespace bambuddy::app
