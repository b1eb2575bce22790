#include "paho_stall.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>

namespace bambuddy::printer_bambu::test {

PahoStall::PahoStall(int64_t limit_ms) : limit_ms_(limit_ms) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 1) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("cannot listen on loopback");
  }
  broker_ = std::thread([this] { answerOneConnect(); });
  static std::atomic<int> counter{0};
  client_ = std::make_unique<mqtt::async_client>("tcp://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)),
                                                 "paho_stall_" + std::to_string(::getpid()) + "_" +
                                                     std::to_string(++counter));
  mqtt::connect_options options = mqtt::connect_options_builder()
                                      .mqtt_version(MQTTVERSION_3_1_1)
                                      .connect_timeout(std::chrono::seconds(5))
                                      .automatic_reconnect(false)
                                      .finalize();
  client_->connect(options, nullptr, listener_);
}

PahoStall::~PahoStall() {
  release();
  client_.reset(); // closes its connection, which ends answerOneConnect()
  broker_.join();
  ::close(listen_fd_);
}

// A one-connection MQTT broker: accepts, reads the CONNECT, answers CONNACK "accepted", then
// waits until the client hangs up. Plain TCP keeps the throwaway client apart from the TLS paths
// under test.
void PahoStall::answerOneConnect() {
  pollfd p{listen_fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(limit_ms_)) <= 0) {
    return;
  }
  int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) {
    return;
  }
  char buffer[512];
  p = pollfd{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(limit_ms_)) > 0 && ::read(fd, buffer, sizeof buffer) > 0) {
    const unsigned char connack[] = {0x20, 0x02, 0x00, 0x00};
    (void)::send(fd, connack, sizeof connack, MSG_NOSIGNAL);
    while (::poll(&p, 1, static_cast<int>(limit_ms_)) > 0 && ::read(fd, buffer, sizeof buffer) > 0) {
    }
  }
  ::close(fd);
}

void PahoStall::hold() {
  std::unique_lock<std::mutex> lock(mutex_);
  stalled_ = true;
  changed_.notify_all();
  changed_.wait_for(lock, std::chrono::milliseconds(limit_ms_), [this] { return released_; });
}

bool PahoStall::waitStalled(int64_t timeout_ms) {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] { return stalled_; });
}

void PahoStall::release() {
  std::lock_guard<std::mutex> lock(mutex_);
  released_ = true;
  changed_.notify_all();
}

} // namespace bambuddy::printer_bambu::test
