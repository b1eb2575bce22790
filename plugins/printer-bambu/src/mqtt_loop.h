// One thread with one epoll set for every Bambu printer of the process.
//
// A thread per printer (or a library that polls every socket per message) costs most of a core at
// a thousand printers; here a report costs one epoll wakeup shared with whatever else is ready.
// Everything a client (one printer's session) does with its socket and its state happens on the
// loop thread, so sessions need no locks: host threads hand work over with call().
//
// Lifetime: MqttLoop::shared() gives every session of this plugin load the same loop; the last
// session to drop its reference joins the thread (from its own, never the loop's, thread).
#pragma once

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace bambuddy::printer_bambu {

struct Endpoint {
  sockaddr_storage address{};
  socklen_t length = 0;
};

struct Resolution {
  std::vector<Endpoint> endpoints; // empty on failure
  std::string error;               // e.g. "cannot resolve printer.lan: Name or service not known"
};

// What the loop calls, always on the loop thread.
class LoopClient {
public:
  virtual ~LoopClient() = default;
  // The watched socket is ready (epoll events: EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP).
  virtual void onSocket(uint32_t events) = 0;
  // The time given to schedule() has come.
  virtual void onTimer() = 0;
  // The answer to resolve().
  virtual void onResolved(Resolution resolution) = 0;
};

class MqttLoop {
public:
  using Clock = std::chrono::steady_clock;

  // The loop of this plugin load, started on first use. Throws std::runtime_error when the
  // kernel refuses an epoll set or eventfd (out of descriptors).
  static std::shared_ptr<MqttLoop> shared();

  MqttLoop();
  ~MqttLoop(); // joins the loop and resolver threads; every client must be removed first
  MqttLoop(const MqttLoop&) = delete;
  MqttLoop& operator=(const MqttLoop&) = delete;

  // Runs `fn` on the loop thread and waits for it; an exception it throws is rethrown here. Runs
  // inline when already on the loop thread.
  void call(const std::function<void()>& fn);
  bool onLoopThread() const { return std::this_thread::get_id() == thread_.get_id(); }

  // ---- Loop thread only ----
  uint64_t add(LoopClient* client);
  // Forgets the client: no callback reaches it after this returns. Its socket must be unwatched
  // (watch(id, -1, 0)) first or be closed by the caller afterwards.
  void remove(uint64_t id);
  // Sets the socket (-1: none) and epoll events the client is told about. Unwatch a socket
  // before closing it. Calls epoll_ctl only when something changed.
  void watch(uint64_t id, int fd, uint32_t events);
  // The client's onTimer runs at `at` (or soon after); replaces its previous time.
  void schedule(uint64_t id, Clock::time_point at);
  // Looks `host` up on a helper thread (name lookups block) and answers with onResolved. Lookups
  // run one at a time; a client asks again only after its answer came (see MqttSession).
  void resolve(uint64_t id, const std::string& host, int port);
  // A TLS 1.2+ client context that verifies nothing, shared by every connection that pins or
  // trusts nothing; owned by the loop.
  SSL_CTX* unverifiedTlsContext();

private:
  struct Entry {
    LoopClient* client = nullptr;
    int fd = -1;
    uint32_t events = 0;
    uint64_t timer_generation = 0; // 0: no timer
  };
  struct Timer {
    Clock::time_point at;
    uint64_t id;
    uint64_t generation;
    bool operator>(const Timer& other) const { return at > other.at; }
  };
  struct Lookup {
    uint64_t id;
    std::string host;
    int port;
  };

  void run();
  void runTasks();
  void fireTimers();
  int waitMs();
  void post(std::function<void()> task);
  void resolverRun();

  int epoll_fd_ = -1;
  int wake_fd_ = -1; // eventfd: tasks are waiting

  std::mutex tasks_mutex_;
  std::deque<std::function<void()>> tasks_;
  bool quit_ = false; // under tasks_mutex_

  // Loop thread only.
  std::unordered_map<uint64_t, Entry> entries_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  uint64_t next_id_ = 0;
  uint64_t next_generation_ = 0;
  SSL_CTX* unverified_ctx_ = nullptr;

  std::mutex lookups_mutex_;
  std::condition_variable lookups_wake_;
  std::deque<Lookup> lookups_;
  bool lookups_quit_ = false;
  std::thread resolver_; // started on the first lookup

  std::thread thread_;
};

} // namespace bambuddy::printer_bambu
