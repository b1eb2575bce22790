// Paho MQTT C serves every client of a process from two detached threads, which it stops when its
// last client is destroyed but does not join. Both used OpenSSL, whose per-thread state is freed
// when a thread ends; a thread still ending while the process exits loses that state (a
// LeakSanitizer failure in tests, see tools/bambu-printer-sim/src/main.cpp). So the plugin counts
// its clients and, when its last one goes, waits (briefly) for those threads to be gone.
#pragma once

#include <cstdint>

namespace bambuddy::notifier_mqtt {

class PahoClientCount {
public:
  PahoClientCount();
  ~PahoClientCount(); // the last one waits (at most 200 ms) for Paho's threads to end
  PahoClientCount(const PahoClientCount&) = delete;
  PahoClientCount& operator=(const PahoClientCount&) = delete;
};

// True while a thread of this process named MQTTAsync_* exists.
bool pahoThreadsRunning();

} // namespace bambuddy::notifier_mqtt
