// Printer commands received from the broker, run one at a time on their own thread: Paho hands
// messages over on its receive thread (shared by every client of the process), and a driver
// command may take seconds, so nothing waits for it there. Bounded: a flood of commands is
// dropped and counted, never buffered without limit.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace bambuddy::notifier_mqtt {

struct PrinterCommandRequest {
  int64_t printer_id = 0;
  std::string action; // pause | resume | stop
};

class CommandQueue {
public:
  using Handler = std::function<void(const PrinterCommandRequest&)>;
  static constexpr size_t kCapacity = 32;

  explicit CommandQueue(Handler handler);
  ~CommandQueue(); // stops: commands not started yet are dropped
  CommandQueue(const CommandQueue&) = delete;
  CommandQueue& operator=(const CommandQueue&) = delete;

  // False (and counted) when the queue is full. Returns at once.
  bool push(PrinterCommandRequest request);
  uint64_t dropped() const;

private:
  void run();

  Handler handler_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<PrinterCommandRequest> pending_;
  uint64_t dropped_ = 0;
  bool stopping_ = false;
  std::thread thread_; // last: starts once everything above exists
};

} // namespace bambuddy::notifier_mqtt
