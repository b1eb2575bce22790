// Holds Paho's library-wide lock for a while, as an overloaded Paho does: every callback of the
// Paho C library runs with its global mutex held, so while one callback blocks, no client's
// packets, timeouts or callbacks are processed. The tests use it to make one of the driver's
// connect attempts outlive the driver's own wait for it, deterministically.
#pragma once

#include <mqtt/async_client.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

namespace bambuddy::printer_bambu::test {

class PahoStall {
public:
  // Starts at once: a throwaway client connects to a one-shot loopback broker, and its connect
  // callback blocks until release() (or `limit_ms` passes, so a failing test cannot hang).
  explicit PahoStall(int64_t limit_ms = 30000);
  ~PahoStall(); // release(), then the throwaway client is destroyed
  PahoStall(const PahoStall&) = delete;
  PahoStall& operator=(const PahoStall&) = delete;

  // True once Paho's thread is inside the blocking callback.
  bool waitStalled(int64_t timeout_ms);
  void release();

private:
  class Listener : public mqtt::iaction_listener {
  public:
    explicit Listener(PahoStall& owner) : owner_(owner) {}
    void on_failure(const mqtt::token&) override { owner_.hold(); }
    void on_success(const mqtt::token&) override { owner_.hold(); }

  private:
    PahoStall& owner_;
  };

  void hold();
  void answerOneConnect();

  const int64_t limit_ms_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stalled_ = false;
  bool released_ = false;
  Listener listener_{*this};
  int listen_fd_ = -1;
  std::thread broker_;
  std::unique_ptr<mqtt::async_client> client_;
};

} // namespace bambuddy::printer_bambu::test
