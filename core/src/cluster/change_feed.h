// Changes made through the API on one server instance reach the others within a second. After a
// change commits, the instance sends PostgreSQL's NOTIFY on the channel `bambuddy_changes` with
// "<instance id> <topic>"; every instance LISTENs on a connection of its own (libpq directly:
// SOCI's sessions have no notifications) and calls the handlers subscribed to the topic. Topics:
// "printers", "providers", "kv:<namespace>" (settings, API keys, plugin documents), "outbox" (a
// delivery queued by an instance that does not deliver).
//
// A notification can be missed only while the listening connection is down; when it is back,
// every handler is called once ("resync"), so a change is never missed for longer than that.
//
// Threading: one thread of its own sends and receives; handlers run on it, one at a time, with no
// lock of the feed held. publish() is non-blocking and may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace bambuddy {
class Logger;
}

namespace bambuddy::cluster {

class ChangeFeed {
public:
  // `url`: the database URL (libpq's URI; the password from the environment, as for the pool).
  ChangeFeed(std::string url, std::string instance_id, Logger& logger);
  ~ChangeFeed(); // stop()
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;

  // Before start(): `handler(topic)` runs for every topic another instance changed that starts
  // with `prefix` (and for every prefix on a resync, with the prefix as the topic).
  void subscribe(std::string prefix, std::function<void(const std::string& topic)> handler);
  // Starts the thread and waits (up to `wait_ms`) until it listens, so a change another instance
  // makes once this one serves is heard. Whatever changed before that is picked up by the resync
  // that follows every successful LISTEN, the first one included.
  void start(int64_t wait_ms = 5000);
  void stop(); // idempotent
  // Tells the other instances `topic` changed. Queued (repeats coalesced) and sent by the feed's
  // thread within milliseconds; dropped with a warning when the database is unreachable (the other
  // instances resync when their own connection comes back, not this one's, so a change made while
  // the database is away is only seen once it is back and something else changes it).
  void publish(const std::string& topic);
  // Notifications received from other instances so far (tests, metrics).
  uint64_t received() const;

private:
  void run();
  void dispatch(const std::string& topic);

  const std::string url_;
  const std::string instance_id_;
  Logger& logger_;
  std::vector<std::pair<std::string, std::function<void(const std::string&)>>> handlers_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::set<std::string> outgoing_;
  bool stopping_ = false;
  uint64_t received_ = 0;
  bool listening_ = false; // the first LISTEN went through (start() waits for it)
  int wake_fd_ = -1;       // an eventfd: publish() and stop() wake the thread's poll()
  std::thread thread_;
};

} // namespace bambuddy::cluster
