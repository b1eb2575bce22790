#include "http/stream_writer.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace bambuddy::http {

namespace {
constexpr uint64_t kWakeId = 0; // ids handed out start at 1
} // namespace

StreamWriter::StreamWriter() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    const std::string why = std::strerror(errno);
    stop();
    throw std::runtime_error("stream writer: " + why);
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeId;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  thread_ = std::thread([this] { run(); });
}

StreamWriter::~StreamWriter() {
  stop();
}

void StreamWriter::stop() {
  stopping_ = true;
  if (wake_fd_ >= 0) {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
  }
  if (thread_.joinable()) {
    thread_.join();
  }
  std::lock_guard<std::mutex> lock(mutex_); // watch(), want() and unwatch() use the descriptors under it
  watches_.clear();
  if (epoll_fd_ >= 0) {
    ::close(epoll_fd_);
    epoll_fd_ = -1;
  }
  if (wake_fd_ >= 0) {
    ::close(wake_fd_);
    wake_fd_ = -1;
  }
}

uint64_t StreamWriter::watch(int fd, std::weak_ptr<StreamTarget> target) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (epoll_fd_ < 0) {
    return 0; // stopped
  }
  const uint64_t id = next_id_++;
  epoll_event ev{};
  ev.events = EPOLLRDHUP;
  ev.data.u64 = id;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    return 0;
  }
  watches_[id] = Watch{fd, std::move(target)};
  return id;
}

void StreamWriter::want(uint64_t id, bool writable) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = watches_.find(id);
  if (it == watches_.end()) {
    return;
  }
  epoll_event ev{};
  // One-shot: the target asks again each time it found the socket full.
  ev.events = EPOLLRDHUP | (writable ? (EPOLLOUT | EPOLLONESHOT) : 0u);
  ev.data.u64 = id;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, it->second.fd, &ev);
}

void StreamWriter::unwatch(uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = watches_.find(id);
  if (it == watches_.end()) {
    return;
  }
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second.fd, nullptr);
  watches_.erase(it);
}

void StreamWriter::run() {
  std::vector<epoll_event> events(64);
  while (!stopping_) {
    int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), -1);
    if (n < 0 && errno != EINTR) {
      return;
    }
    for (int i = 0; i < n; ++i) {
      const uint64_t id = events[i].data.u64;
      if (id == kWakeId) {
        continue;
      }
      std::shared_ptr<StreamTarget> target;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = watches_.find(id);
        if (it != watches_.end()) {
          target = it->second.target.lock();
        }
      }
      if (!target) {
        continue; // unwatched meanwhile (its descriptor may already be another's)
      }
      if (events[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        target->onHangup();
      } else if (events[i].events & EPOLLOUT) {
        target->onWritable();
      }
    }
  }
}

} // namespace bambuddy::http
