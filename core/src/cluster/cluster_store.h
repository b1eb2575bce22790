// The tables through which several server instances on one PostgreSQL database share the work:
// `cluster_instances` (who is alive: one row per running instance, its heartbeat) and
// `cluster_leases` (who does what: a named lease per printer connection and per farm-wide role,
// held by one instance until it expires). A lease is taken only when it is free or expired, and an
// instance renews all of its own in one statement per heartbeat. Expiry is judged by the
// database's clock, so instances on hosts whose clocks disagree still agree on it.
//
// Thread-safe (every call is one database transaction); the coordinator (cluster_coordinator.h)
// is its only user.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace bambuddy::storage {
class Database;
}

namespace bambuddy::cluster {

struct InstanceRow {
  std::string id;
  std::string host;
  int64_t started_at_ms = 0;
  int64_t heartbeat_at_ms = 0; // the database's clock
  int64_t served_at_ms = 0;    // the heartbeat after its latest API requests (the database's clock; 0 = none)
};

struct Heartbeat {
  int64_t now_ms = 0;             // the database's clock when it was stored
  std::set<std::string> held;     // the leases this instance holds after renewing them
  std::vector<InstanceRow> alive; // instances whose heartbeat is younger than the lease
  std::set<std::string> all_held; // every unexpired lease, whoever holds it
};

class ClusterStore {
public:
  explicit ClusterStore(storage::Database& db);

  // Stores this instance's heartbeat (served_at_ms moves to now when `served` says it answered API
  // requests since its previous heartbeat) and extends every lease it still holds to now +
  // lease_ms, in one transaction; reports what it holds and who else is alive. Throws StorageError.
  Heartbeat heartbeat(const InstanceRow& self, int64_t lease_ms, bool served = false);
  // Takes each of `names` that nobody holds or whose lease expired, until now + lease_ms. Returns
  // the names of `names` this instance holds afterwards (also those it held already).
  std::set<std::string> acquire(const std::string& instance, const std::vector<std::string>& names,
                                int64_t lease_ms);
  // Gives up `names` (only those this instance holds), so another instance may take them at once.
  void release(const std::string& instance, const std::vector<std::string>& names);
  // Orderly stop: every lease of the instance goes, and its row.
  void leave(const std::string& instance);
  // name -> holder of every unexpired lease whose name starts with `prefix` (metrics, tests).
  std::vector<std::pair<std::string, std::string>> holders(const std::string& prefix);

private:
  storage::Database& db_;
  bool postgresql_ = false;
};

} // namespace bambuddy::cluster
