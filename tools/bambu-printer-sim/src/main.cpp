// bambu_printer_sim: plays one or many Bambu Lab printers as MQTT clients of a broker, for tests
// and benchmarks of the printer driver. See ../README.md for the stdin and stdout protocols.
#include "event_out.h"
#include "fixtures.h"
#include "options.h"
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

} // namespace

// Read by LeakSanitizer in sanitizer builds only. Paho MQTT C (Debian 1.3.12) sometimes leaves one
// OpenSSL object of a TLS connection unfreed when the client is torn down (upstream issues #670,
// #1663); the simulator's own OpenSSL use (the MD5 of a stored file) frees what it allocates, so
// every libcrypto/libssl leak here is Paho's.
// Without this, a test whose simulator happened to hit it fails on the child's exit code.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libcrypto.so\nleak:libssl.so\n";
}

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
    return 1;
  }
  return 0;
}
