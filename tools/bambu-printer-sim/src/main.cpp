// bambu_printer_sim: plays one or many Bambu Lab printers as MQTT clients of a broker, for tests
// and benchmarks of the printer driver. See ../README.md for the stdin and stdout protocols.
#include "event_out.h"
#include "fixtures.h"
#include "options.h"
#include "process_threads.h"
#include "simulator.h"
#include "stdin_reader.h"

#include <csignal>
#include <cstdio>
#include <exception>
#include <pthread.h>
#include <thread>

namespace {

// SIGINT/SIGTERM end the simulator cleanly; SIGUSR1 only wakes the signal thread at shutdown.
sigset_t handledSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  return set;
}

// Paho MQTT C runs its send and receive threads detached, and destroying its last client waits
// only until they flag themselves stopped: they may still be ending when main returns. Both used
// OpenSSL (handshake, DRBG, error queue), whose per-thread state a thread-exit destructor frees.
// When exit() ran OPENSSL_cleanup (an atexit handler) before such a thread ended, that destructor
// was already unregistered and the state was lost: LeakSanitizer then reported the thread's two
// DRBGs (9,240 bytes from CRYPTO_zalloc) and the simulator exited with an error, a test flake under
// load. So the process ends only once it is its own last thread; the simulator joins its own.
void endAfterLibraryThreads() {
  if (!bambusim::waitUntilSoleThread(2000)) {
    std::fprintf(stderr, "bambu_printer_sim: library threads still running at exit\n");
  }
}

} // namespace

int main(int argc, char** argv) {
  bambusim::Options options;
  bambusim::FixtureSet fixtures;
  try {
    if (!bambusim::parseOptions(argc, argv, options)) {
      return 0;
    }
    fixtures = bambusim::loadFixtures(options.model, options.fixture_dir);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bambu_printer_sim: %s\n%s", e.what(), bambusim::usage().c_str());
    return 2;
  }

  // Before any thread starts, so every thread inherits the mask and only sigwait sees them.
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t signals = handledSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  bambusim::EventOut events;
  try {
    bambusim::Simulator simulator(options, fixtures, events);
    std::thread signal_thread([&simulator, signals] {
      int sig = 0;
      sigwait(&signals, &sig);
      if (sig != SIGUSR1) {
        simulator.requestQuit();
      }
    });
    {
      bambusim::StdinReader stdin_reader(
          [&simulator](std::string line) { simulator.postControl(std::move(line)); });
      simulator.run();
    }
    pthread_kill(signal_thread.native_handle(), SIGUSR1);
    signal_thread.join();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bambu_printer_sim: %s\n", e.what());
    endAfterLibraryThreads();
    return 1;
  }
  endAfterLibraryThreads();
  return 0;
}
