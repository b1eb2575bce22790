#include "mqtt_loop.h"

#include "tls_context.h"

#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <stdexcept>

namespace bambuddy::printer_bambu {
namespace {

constexpr uint64_t kWakeId = 0; // the eventfd's epoll tag; client ids start at 1
constexpr int kMaxEvents = 256;

} // namespace

std::shared_ptr<MqttLoop> MqttLoop::shared() {
  // The plugin ABI has no per-load context, so the one loop of this load is held here: weakly,
  // so that it ends with the last printer and nothing of it outlives the plugin's unload.
  static std::mutex mutex;
  static std::weak_ptr<MqttLoop> current;
  std::lock_guard<std::mutex> lock(mutex);
  std::shared_ptr<MqttLoop> loop = current.lock();
  if (!loop) {
    loop = std::make_shared<MqttLoop>();
    current = loop;
  }
  return loop;
}

MqttLoop::MqttLoop() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    std::string why = std::strerror(errno);
    if (epoll_fd_ >= 0) {
      ::close(epoll_fd_);
    }
    if (wake_fd_ >= 0) {
      ::close(wake_fd_);
    }
    throw std::runtime_error("cannot create the MQTT event loop: " + why);
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeId;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  thread_ = std::thread([this] { run(); });
}

MqttLoop::~MqttLoop() {
  {
    std::lock_guard<std::mutex> lock(tasks_mutex_);
    quit_ = true;
  }
  uint64_t one = 1;
  (void)::write(wake_fd_, &one, sizeof one);
  thread_.join();
  {
    std::lock_guard<std::mutex> lock(lookups_mutex_);
    lookups_quit_ = true;
  }
  lookups_wake_.notify_all();
  if (resolver_.joinable()) {
    resolver_.join(); // at most one lookup in progress
  }
  if (unverified_ctx_ != nullptr) {
    SSL_CTX_free(unverified_ctx_);
  }
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

void MqttLoop::post(std::function<void()> task) {
  bool was_empty = false;
  {
    std::lock_guard<std::mutex> lock(tasks_mutex_);
    was_empty = tasks_.empty();
    tasks_.push_back(std::move(task));
  }
  if (was_empty) {
    uint64_t one = 1;
    (void)::write(wake_fd_, &one, sizeof one);
  }
}

void MqttLoop::call(const std::function<void()>& fn) {
  if (onLoopThread()) {
    fn();
    return;
  }
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  std::exception_ptr failure;
  post([&] {
    try {
      fn();
    } catch (...) {
      failure = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(mutex);
    done = true;
    done_cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(mutex);
  done_cv.wait(lock, [&] { return done; });
  if (failure) {
    std::rethrow_exception(failure);
  }
}

uint64_t MqttLoop::add(LoopClient* client) {
  uint64_t id = ++next_id_;
  entries_[id].client = client;
  return id;
}

void MqttLoop::remove(uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    return;
  }
  if (it->second.fd >= 0) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second.fd, nullptr);
  }
  entries_.erase(it); // its timers and a lookup in progress find no entry and are dropped
  std::lock_guard<std::mutex> lock(lookups_mutex_);
  lookups_.erase(
      std::remove_if(lookups_.begin(), lookups_.end(), [id](const Lookup& l) { return l.id == id; }),
      lookups_.end());
}

void MqttLoop::watch(uint64_t id, int fd, uint32_t events) {
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    return;
  }
  Entry& entry = it->second;
  if (entry.fd == fd && entry.events == events) {
    return;
  }
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = id;
  if (entry.fd != fd) {
    if (entry.fd >= 0) {
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, entry.fd, nullptr);
    }
    if (fd >= 0) {
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    }
  } else if (fd >= 0) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
  }
  entry.fd = fd;
  entry.events = events;
}

void MqttLoop::schedule(uint64_t id, Clock::time_point at) {
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    return;
  }
  it->second.timer_generation = ++next_generation_;
  timers_.push(Timer{at, id, it->second.timer_generation});
}

SSL_CTX* MqttLoop::unverifiedTlsContext() {
  if (unverified_ctx_ == nullptr) {
    unverified_ctx_ = newClientTlsContext();
    if (unverified_ctx_ != nullptr) {
      SSL_CTX_set_verify(unverified_ctx_, SSL_VERIFY_NONE, nullptr);
    }
  }
  return unverified_ctx_;
}

void MqttLoop::resolve(uint64_t id, const std::string& host, int port) {
  {
    std::lock_guard<std::mutex> lock(lookups_mutex_);
    lookups_.push_back(Lookup{id, host, port});
  }
  lookups_wake_.notify_one();
  if (!resolver_.joinable()) {
    resolver_ = std::thread([this] { resolverRun(); });
  }
}

void MqttLoop::resolverRun() {
  while (true) {
    Lookup lookup;
    {
      std::unique_lock<std::mutex> lock(lookups_mutex_);
      lookups_wake_.wait(lock, [this] { return lookups_quit_ || !lookups_.empty(); });
      if (lookups_quit_) {
        return;
      }
      lookup = std::move(lookups_.front());
      lookups_.pop_front();
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    std::string port = std::to_string(lookup.port);
    int rc = ::getaddrinfo(lookup.host.c_str(), port.c_str(), &hints, &found);
    Resolution result;
    if (rc != 0) {
      result.error = "cannot resolve " + lookup.host + ": " + ::gai_strerror(rc);
    } else {
      for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
        Endpoint e;
        std::memcpy(&e.address, a->ai_addr, a->ai_addrlen);
        e.length = a->ai_addrlen;
        result.endpoints.push_back(e);
      }
      ::freeaddrinfo(found);
      if (result.endpoints.empty()) {
        result.error = "no address for " + lookup.host;
      }
    }
    const uint64_t id = lookup.id;
    post([this, id, result = std::move(result)]() mutable {
      auto it = entries_.find(id);
      if (it != entries_.end()) {
        it->second.client->onResolved(std::move(result));
      }
    });
  }
}

int MqttLoop::waitMs() {
  while (!timers_.empty()) {
    const Timer& top = timers_.top();
    auto it = entries_.find(top.id);
    if (it == entries_.end() || it->second.timer_generation != top.generation) {
      timers_.pop(); // replaced or removed
      continue;
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(top.at - Clock::now()).count();
    return ms <= 0 ? 0 : static_cast<int>(std::min<int64_t>(ms + 1, 60000));
  }
  return 60000;
}

void MqttLoop::fireTimers() {
  const Clock::time_point now = Clock::now();
  while (!timers_.empty() && timers_.top().at <= now) {
    Timer timer = timers_.top();
    timers_.pop();
    auto it = entries_.find(timer.id);
    if (it == entries_.end() || it->second.timer_generation != timer.generation) {
      continue;
    }
    it->second.timer_generation = 0;
    it->second.client->onTimer(); // may schedule again, or remove itself
  }
}

void MqttLoop::runTasks() {
  uint64_t count = 0;
  (void)::read(wake_fd_, &count, sizeof count);
  std::deque<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(tasks_mutex_);
    batch.swap(tasks_);
  }
  for (auto& task : batch) {
    task();
  }
}

void MqttLoop::run() {
  // Writing to a socket the printer closed raises SIGPIPE in the writing thread; blocked here,
  // the write fails with EPIPE instead, whatever the host process does with the signal.
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);
  epoll_event events[kMaxEvents];
  while (true) {
    {
      std::lock_guard<std::mutex> lock(tasks_mutex_);
      if (quit_) {
        break;
      }
    }
    int n = ::epoll_wait(epoll_fd_, events, kMaxEvents, waitMs());
    for (int i = 0; i < n; ++i) {
      const uint64_t id = events[i].data.u64;
      if (id == kWakeId) {
        runTasks();
        continue;
      }
      // A client removed (or its socket replaced) earlier in this batch is skipped or told about
      // a socket that is merely not ready: every read and write is non-blocking.
      auto it = entries_.find(id);
      if (it != entries_.end() && it->second.fd >= 0) {
        it->second.client->onSocket(events[i].events);
      }
    }
    fireTimers();
  }
  runTasks(); // call()ers waiting on a task must not hang
}

} // namespace bambuddy::printer_bambu
