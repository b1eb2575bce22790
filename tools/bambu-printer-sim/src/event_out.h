// The stdout event protocol: one line per event, written whole and flushed at once, so a test
// reading the pipe sees each event as soon as it happens.
#pragma once

#include <mutex>
#include <string>

namespace bambusim {

class EventOut {
public:
  void emit(const std::string& line);

private:
  std::mutex mutex_;
};

} // namespace bambusim
