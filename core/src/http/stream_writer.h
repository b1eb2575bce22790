// The event loop behind streamed responses once their head is out (http_server.cpp, StreamPump).
//
// Why not Pistache's own write path: in Pistache 0.0.5 every write, from any thread, is queued to
// the reactor, which marks the socket for EPOLLOUT, waits for the next epoll round and only then
// writes, two epoll_ctl calls per write. For one event fanned out to 1,000 streams that put the last
// client ~20 ms behind the first (tests/bench/event_stream). A stream's writes are instead made at
// once by the thread that produces them, on a descriptor the stream owns (a dup of the socket, so
// Pistache closing its own descriptor can never make a write land on another connection), and only
// a stream whose client is behind waits here for EPOLLOUT. This loop also sees the client hang up
// (EPOLLRDHUP), whatever Pistache does with its side.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace bambuddy::http {

// What the loop calls back, on its own thread, with no lock of its own held.
class StreamTarget {
public:
  virtual ~StreamTarget() = default;
  virtual void onWritable() = 0; // the socket takes bytes again (after want(id, true))
  virtual void onHangup() = 0;   // the client closed or reset the connection
};

class StreamWriter {
public:
  StreamWriter();  // throws std::runtime_error when epoll or the wake-up descriptor cannot be made
  ~StreamWriter(); // stop()
  StreamWriter(const StreamWriter&) = delete;
  StreamWriter& operator=(const StreamWriter&) = delete;

  // Starts watching `fd` (owned by the caller, which must unwatch() it before closing it) for a
  // hang-up; returns the id for want() and unwatch(), or 0 when epoll refused it.
  uint64_t watch(int fd, std::weak_ptr<StreamTarget> target);
  // Asks for one onWritable() once the socket has room (true), or no more (false).
  void want(uint64_t id, bool writable);
  // After it returns no callback for `id` starts (one already running may finish).
  void unwatch(uint64_t id);

  // Joins the thread; watched descriptors stay the callers'. Idempotent.
  void stop();

private:
  struct Watch {
    int fd = -1;
    std::weak_ptr<StreamTarget> target;
  };
  void run();

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::mutex mutex_;
  std::map<uint64_t, Watch> watches_;
  uint64_t next_id_ = 1;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

} // namespace bambuddy::http
