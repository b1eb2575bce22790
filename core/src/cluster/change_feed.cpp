#include "cluster/change_feed.h"

#include "common/logger.h"

#include <libpq-fe.h>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <memory>

namespace bambuddy::cluster {

namespace {
constexpr const char* kComponent = "cluster";
constexpr const char* kChannel = "bambuddy_changes";
constexpr int64_t kReconnectPauseMs = 1000;

using Connection = std::unique_ptr<PGconn, void (*)(PGconn*)>;

bool execOk(PGconn* conn, const char* sql, int n_params = 0, const char* const* params = nullptr) {
  std::unique_ptr<PGresult, void (*)(PGresult*)> result(
      PQexecParams(conn, sql, n_params, nullptr, params, nullptr, nullptr, 0), PQclear);
  const ExecStatusType status = PQresultStatus(result.get());
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}
} // namespace

ChangeFeed::ChangeFeed(std::string url, std::string instance_id, Logger& logger)
    : url_(std::move(url)), instance_id_(std::move(instance_id)), logger_(logger) {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

ChangeFeed::~ChangeFeed() {
  stop();
  if (wake_fd_ >= 0) {
    ::close(wake_fd_);
  }
}

void ChangeFeed::subscribe(std::string prefix, std::function<void(const std::string&)> handler) {
  handlers_.emplace_back(std::move(prefix), std::move(handler));
}

void ChangeFeed::start(int64_t wait_ms) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (thread_.joinable()) {
    return;
  }
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
  if (!cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return listening_; })) {
    logger_.warn(kComponent, "change feed: not listening yet after " + std::to_string(wait_ms) +
                                 " ms; changes made on other instances arrive once it does");
  }
}

void ChangeFeed::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!thread_.joinable()) {
      return;
    }
    stopping_ = true;
  }
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  cv_.notify_all();
  thread_.join();
}

void ChangeFeed::publish(const std::string& topic) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    outgoing_.insert(topic);
  }
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

uint64_t ChangeFeed::received() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return received_;
}

void ChangeFeed::dispatch(const std::string& topic) {
  for (const auto& [prefix, handler] : handlers_) {
    if (topic.compare(0, prefix.size(), prefix) != 0) {
      continue;
    }
    try {
      handler(topic);
    } catch (const std::exception& e) {
      logger_.warn(kComponent, "reloading after a change of " + topic + " failed: " + e.what());
    }
  }
}

void ChangeFeed::run() {
  bool first_connection = true;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) {
        return;
      }
    }
    Connection conn(PQconnectdb(url_.c_str()), PQfinish);
    if (PQstatus(conn.get()) != CONNECTION_OK || !execOk(conn.get(), "LISTEN bambuddy_changes")) {
      logger_.warn(kComponent, std::string("change feed: cannot listen: ") + PQerrorMessage(conn.get()));
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait_for(lock, std::chrono::milliseconds(kReconnectPauseMs), [this] { return stopping_; });
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      listening_ = true;
    }
    cv_.notify_all();
    // What changed before this LISTEN was not heard (at start-up: since the services loaded;
    // after an outage: meanwhile). Every handler reloads.
    if (!first_connection) {
      logger_.info(kComponent,
                   "change feed: listening again; reloading what other instances may have changed");
    }
    for (const auto& entry : handlers_) {
      dispatch(entry.first);
    }
    first_connection = false;
    bool healthy = true;
    while (healthy) {
      std::set<std::string> outgoing;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) {
          return;
        }
        outgoing.swap(outgoing_);
      }
      for (const std::string& topic : outgoing) {
        const std::string payload = instance_id_ + " " + topic;
        const char* params[] = {kChannel, payload.c_str()};
        if (!execOk(conn.get(), "SELECT pg_notify($1, $2)", 2, params)) {
          logger_.warn(kComponent, "change feed: could not announce a change of " + topic + ": " +
                                       PQerrorMessage(conn.get()));
          healthy = false;
        }
      }
      pollfd fds[2] = {{PQsocket(conn.get()), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      ::poll(fds, 2, 1000);
      if (fds[1].revents & POLLIN) {
        uint64_t count = 0;
        (void)!::read(wake_fd_, &count, sizeof count);
      }
      if (PQconsumeInput(conn.get()) == 0 || PQstatus(conn.get()) != CONNECTION_OK) {
        logger_.warn(kComponent, std::string("change feed: connection lost: ") + PQerrorMessage(conn.get()));
        healthy = false;
      }
      while (PGnotify* note = PQnotifies(conn.get())) {
        const std::string text = note->extra != nullptr ? note->extra : "";
        PQfreemem(note);
        const size_t space = text.find(' ');
        if (space == std::string::npos || text.compare(0, space, instance_id_) == 0) {
          continue; // our own announcement
        }
        {
          std::lock_guard<std::mutex> lock(mutex_);
          ++received_;
        }
        dispatch(text.substr(space + 1));
      }
    }
  }
}

} // namespace bambuddy::cluster
