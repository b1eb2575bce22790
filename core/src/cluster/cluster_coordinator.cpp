#include "cluster/cluster_coordinator.h"

#include "common/logger.h"
#include "common/time.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>
#include <unistd.h>

namespace bambuddy::cluster {

namespace {
constexpr const char* kComponent = "cluster";
// An instance counts as sharing the API's traffic while it answered a request this recently: the
// rate limits' window, so a client's requests of the last window are spread over those instances.
constexpr int64_t kServingWindowMs = 60000;

std::string joinNames(const std::set<std::string>& names) {
  std::string out;
  size_t shown = 0;
  for (const std::string& n : names) {
    if (shown++ == 8) {
      return out + ", ... (" + std::to_string(names.size()) + " in all)";
    }
    out += (out.empty() ? "" : ", ") + n;
  }
  return out;
}
} // namespace

std::string hostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') {
    return "host";
  }
  return name;
}

std::string makeInstanceId(const std::string& host) {
  unsigned char bytes[4] = {};
  RAND_bytes(bytes, sizeof bytes);
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%02x%02x%02x%02x", bytes[0], bytes[1], bytes[2], bytes[3]);
  return host + "-" + std::to_string(::getpid()) + "-" + suffix;
}

ClusterCoordinator::ClusterCoordinator(ClusterStore& store, Logger& logger, ClusterSettings settings,
                                       Wanted wanted)
    : store_(store), logger_(logger), settings_(std::move(settings)), wanted_(std::move(wanted)) {
  self_.id = settings_.instance_id;
  self_.host = settings_.host;
  self_.started_at_ms = nowUtcMs();
}

ClusterCoordinator::~ClusterCoordinator() {
  stop();
}

void ClusterCoordinator::addListener(Listener listener) {
  listeners_.push_back(std::move(listener));
}

void ClusterCoordinator::setTrafficListener(std::function<bool()> served,
                                            std::function<void(size_t)> listener) {
  served_ = std::move(served);
  traffic_listener_ = std::move(listener);
}

void ClusterCoordinator::start() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (thread_.joinable()) {
      return;
    }
    stopping_ = false;
    last_renewal_mono_ms_ = monotonicMs();
  }
  logger_.info(kComponent, "instance " + self_.id + " joins the cluster (heartbeat " +
                               std::to_string(settings_.heartbeat_ms) + " ms, lease " +
                               std::to_string(settings_.lease_ms) + " ms)");
  tick();
  std::lock_guard<std::mutex> lock(mutex_);
  thread_ = std::thread([this] { run(); });
  watchdog_ = std::thread([this] { watch(); });
}

void ClusterCoordinator::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!thread_.joinable()) {
      return;
    }
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  if (watchdog_.joinable()) {
    watchdog_.join();
  }
  std::lock_guard<std::mutex> round(round_mutex_);
  publish({}); // listeners stop the work first; only then may another instance start it
  try {
    store_.leave(self_.id);
    logger_.info(kComponent, "instance " + self_.id + " left the cluster");
  } catch (const std::exception& e) {
    logger_.warn(kComponent,
                 std::string("could not give the leases back (they expire on their own): ") + e.what());
  }
}

void ClusterCoordinator::poke() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    poked_ = true;
  }
  cv_.notify_all();
}

bool ClusterCoordinator::holds(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return held_.count(name) != 0;
}

std::set<std::string> ClusterCoordinator::held() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return held_;
}

std::vector<InstanceRow> ClusterCoordinator::instances() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return instances_;
}

void ClusterCoordinator::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::milliseconds(settings_.heartbeat_ms),
                 [this] { return stopping_ || poked_; });
    if (stopping_) {
      break;
    }
    poked_ = false;
    lock.unlock();
    tick();
    lock.lock();
  }
}

void ClusterCoordinator::watch() {
  // Often enough that fencing comes well before the lease runs out.
  const int64_t period_ms = std::max<int64_t>(1, std::min(settings_.heartbeat_ms, settings_.lease_ms / 8));
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::milliseconds(period_ms), [this] { return stopping_; });
    if (stopping_) {
      break;
    }
    lock.unlock();
    fenceIfStale("the heartbeat has not got through");
    lock.lock();
  }
}

void ClusterCoordinator::fenceIfStale(const char* why) {
  int64_t since_ms = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (held_.empty()) {
      return;
    }
    since_ms = monotonicMs() - last_renewal_mono_ms_;
  }
  if (since_ms < settings_.lease_ms - settings_.heartbeat_ms) {
    return;
  }
  logger_.warn(kComponent, std::string(why) + " for " + std::to_string(since_ms) +
                               " ms: stopping this instance's work before its leases can expire");
  publish({});
}

void ClusterCoordinator::tick() {
  std::lock_guard<std::mutex> round_lock(round_mutex_);
  round();
}

bool ClusterCoordinator::acquireNow(const std::string& name) {
  std::lock_guard<std::mutex> round_lock(round_mutex_);
  try {
    if (store_.acquire(self_.id, {name}, settings_.lease_ms).count(name) == 0) {
      return false;
    }
  } catch (const std::exception& e) {
    logger_.warn(kComponent, "could not take " + name + ": " + e.what());
    return false;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  held_.insert(name);
  return true;
}

void ClusterCoordinator::round() {
  try {
    const int64_t began_mono_ms = monotonicMs();
    const Heartbeat beat = store_.heartbeat(self_, settings_.lease_ms, served_ && served_());
    if (monotonicMs() - began_mono_ms >= settings_.lease_ms - settings_.heartbeat_ms) {
      // It got through, but so late that what it renewed may already be running out.
      throw std::runtime_error("the heartbeat took " + std::to_string(monotonicMs() - began_mono_ms) + " ms");
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      last_renewal_mono_ms_ = began_mono_ms;
      instances_ = beat.alive;
    }
    if (traffic_listener_) {
      size_t serving = 1; // this one, whether it serves or not: alone, its share is the whole limit
      for (const InstanceRow& row : beat.alive) {
        if (row.id != self_.id && row.served_at_ms > beat.now_ms - kServingWindowMs) {
          ++serving;
        }
      }
      if (serving != serving_told_) {
        serving_told_ = serving;
        traffic_listener_(serving);
      }
    }
    std::set<std::string> held = beat.held;
    std::vector<std::string> wanted;
    for (int pass = 0; pass < 2; ++pass) {
      // What we want and nobody holds: a new printer, or the leases of an instance that died. A
      // second pass for what follows a role this pass took.
      wanted = wanted_(held);
      std::vector<std::string> free;
      for (const std::string& name : wanted) {
        if (held.count(name) == 0 && beat.all_held.count(name) == 0) {
          free.push_back(name);
        }
      }
      if (free.empty()) {
        break;
      }
      for (const std::string& name : store_.acquire(self_.id, free, settings_.lease_ms)) {
        held.insert(name);
      }
    }
    // Leases of printers that were removed: given back.
    const std::set<std::string> wanted_set(wanted.begin(), wanted.end());
    std::vector<std::string> unwanted;
    for (const std::string& name : held) {
      if (wanted_set.count(name) == 0) {
        unwanted.push_back(name);
      }
    }
    for (const std::string& name : unwanted) {
      held.erase(name);
    }
    publish(held);
    store_.release(self_.id, unwanted);
  } catch (const std::exception& e) {
    int64_t since_ms = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      since_ms = monotonicMs() - last_renewal_mono_ms_;
    }
    logger_.warn(kComponent, std::string("heartbeat failed (") + std::to_string(since_ms) +
                                 " ms since the last one the database took): " + e.what());
    // Fencing: stop the work while the leases are surely still ours, before anyone can take them.
    fenceIfStale("the heartbeat failed");
  }
}

void ClusterCoordinator::publish(std::set<std::string> now_held) {
  std::lock_guard<std::mutex> serial(publish_mutex_);
  std::set<std::string> gained, lost;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    std::set_difference(now_held.begin(), now_held.end(), held_.begin(), held_.end(),
                        std::inserter(gained, gained.end()));
    std::set_difference(held_.begin(), held_.end(), now_held.begin(), now_held.end(),
                        std::inserter(lost, lost.end()));
    held_ = std::move(now_held);
  }
  if (gained.empty() && lost.empty()) {
    return;
  }
  if (!gained.empty()) {
    logger_.info(kComponent, "took " + joinNames(gained));
  }
  if (!lost.empty()) {
    logger_.info(kComponent, "gave up " + joinNames(lost));
  }
  for (const Listener& listener : listeners_) {
    listener(gained, lost);
  }
}

} // namespace bambuddy::cluster
