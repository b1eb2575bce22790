// Which of the farm's work this server instance does, when several instances share one PostgreSQL
// database (docs/scaling.md). Work comes in named leases (cluster_store.h): "printer/<id>" for
// connecting a printer, and roles such as "farm" (the farm-wide journal consumers, the queue and
// the deliveries: app/app.cpp) that one instance at a time holds. A thread of its own heartbeats every
// heartbeat_ms, renews what it holds, takes what nobody holds (a dead instance's leases once they
// expire), and tells its listeners what it gained and lost.
//
// Fencing: an instance that could not renew for lease_ms - heartbeat_ms drops everything it holds
// (its listeners stop the work) before the leases can expire and another instance takes them, so
// a printer is never connected twice, even when this instance is cut off from the database rather
// than dead. A watchdog thread keeps that promise while a heartbeat call hangs (a frozen server,
// a network that drops packets): it does not wait for the call to fail. A renewal counts from the
// moment its call began, as the database may have taken it at any point until it returned.
//
// Only made with cluster.enabled: a server running alone has no coordinator and does all the work.
//
// Threading: listeners run on the coordinator's thread (or the watchdog's, when it fences), one
// call at a time, with no lock of the coordinator held but the one that serializes them; they may
// call holds(). Wanted names come from `wanted` on the coordinator's thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster/cluster_store.h"

namespace bambuddy {
class Logger;
}

namespace bambuddy::cluster {

struct ClusterSettings {
  int64_t heartbeat_ms = 2000; // how often leases are renewed and free ones taken
  int64_t lease_ms = 10000;    // how long a lease outlives its holder's last renewal
  std::string instance_id;     // unique per running instance (makeInstanceId())
  std::string host;            // for operators: where the instance runs
};

// "<host>-<pid>-<8 hex digits>": unique per process, readable in logs and the instances table.
std::string makeInstanceId(const std::string& host);
std::string hostName();

class ClusterCoordinator {
public:
  // gained and lost: lease names. Called on the coordinator's thread (or in start() for the first
  // round), never with the coordinator's lock held.
  using Listener =
      std::function<void(const std::set<std::string>& gained, const std::set<std::string>& lost)>;

  // What this instance would hold if it could, given what it holds now (printers may follow a
  // role: wanted only once the role is held). Called on the round's thread, up to twice a round.
  using Wanted = std::function<std::vector<std::string>(const std::set<std::string>& held)>;

  // `store` must outlive the coordinator.
  ClusterCoordinator(ClusterStore& store, Logger& logger, ClusterSettings settings, Wanted wanted);
  ~ClusterCoordinator(); // stop()
  ClusterCoordinator(const ClusterCoordinator&) = delete;
  ClusterCoordinator& operator=(const ClusterCoordinator&) = delete;

  // Before start().
  void addListener(Listener listener);
  // Before start(): told how many instances share the API's traffic whenever that changes, on the
  // coordinator's thread: the live instances that answered API requests within the last minute,
  // this one always included (docs/adr/0009). `served` tells whether this instance answered any
  // since it was last asked (once per heartbeat).
  void setTrafficListener(std::function<bool()> served, std::function<void(size_t serving)> listener);
  // Runs the first round on the calling thread (so what can be held is held when start()
  // returns), then starts the heartbeat thread.
  void start();
  // Stops the thread; tells the listeners everything is lost, then gives the leases back so the
  // other instances take them at once instead of after lease_ms. Idempotent.
  void stop();
  // Runs a round now, off schedule (a printer was added through the API). Non-blocking.
  void poke();
  // Takes `name` now if it is free (a printer just added through the API, on the instance that
  // holds its role). true when this instance holds it afterwards; no listener is told (the caller
  // started the work itself).
  bool acquireNow(const std::string& name);

  bool holds(const std::string& name) const;
  std::set<std::string> held() const;
  const ClusterSettings& settings() const { return settings_; }
  // The instances alive at the last heartbeat.
  std::vector<InstanceRow> instances() const;

  // For tests: one round now, on the calling thread.
  void tick();

private:
  void run();
  void round();
  void watch(); // the watchdog thread
  // Drops everything held (the listeners stop the work) when the last renewal is too old.
  void fenceIfStale(const char* why);
  void publish(std::set<std::string> now_held);

  ClusterStore& store_;
  Logger& logger_;
  ClusterSettings settings_;
  Wanted wanted_;
  std::vector<Listener> listeners_;
  std::function<bool()> served_;
  std::function<void(size_t)> traffic_listener_;
  size_t serving_told_ = 0; // the count the traffic listener last heard
  InstanceRow self_;

  mutable std::mutex mutex_;
  std::set<std::string> held_;
  std::vector<InstanceRow> instances_;
  int64_t last_renewal_mono_ms_ = 0; // monotonic time the last heartbeat the database took began
  bool poked_ = false;
  bool stopping_ = false;
  std::condition_variable cv_;
  std::mutex round_mutex_;   // one round at a time (thread, tick(), start())
  std::mutex publish_mutex_; // one listener call at a time (round, watchdog, stop())
  std::thread thread_;
  std::thread watchdog_;
};

} // namespace bambuddy::cluster
