// Reads control lines from stdin on its own thread and hands each to a callback. stop() ends the
// thread even while it waits for input (a pipe wakes poll), so shutdown never hangs on a read.
#pragma once

#include <functional>
#include <string>
#include <thread>

namespace bambusim {

class StdinReader {
public:
  explicit StdinReader(std::function<void(std::string)> on_line);
  ~StdinReader(); // stop()
  void stop();

private:
  void loop();

  std::function<void(std::string)> on_line_;
  int wake_fds_[2] = {-1, -1};
  std::thread thread_;
};

} // namespace bambusim
