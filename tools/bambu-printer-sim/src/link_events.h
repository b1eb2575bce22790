// What the MQTT side tells the simulator loop. Paho calls back on its own threads; these events
// are queued so that all printer state and all publishing stay on the simulator's one thread.
#pragma once

#include <cstddef>
#include <string>

namespace bambusim {

struct LinkEvent {
  enum class Kind { Connected, ConnectFailed, Subscribed, SubscribeFailed, Lost, Message };
  Kind kind;
  size_t printer = 0; // index into the simulator's printers
  std::string text;   // failure reason, lost cause, or the message payload
};

class LinkEventSink {
public:
  virtual ~LinkEventSink() = default;
  virtual void post(LinkEvent event) = 0;
};

} // namespace bambusim
